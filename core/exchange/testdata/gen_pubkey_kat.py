#!/usr/bin/python3
"""Independent known-answer vectors for core/exchange/pubkey_kat_test.cc.

Run by Bazel at build time (genrule //core/exchange:pubkey_kat_inc) with
Debian's /usr/bin/python3 (python3-cryptography):
  gen_pubkey_kat.py OUT.inc Everything here is written from the RFC text,
without any of this project's code:

  RFC 3830 §3.2  PK mode: I_MESSAGE = HDR, T, RAND, [IDi|CERTi], [IDr], {SP},
                 KEMAC, [CHASH], PKE, SIGNi; R_MESSAGE = HDR, T, [IDr], V;
                 KEMAC = E(encr_key, IDi || {TGK}) || MAC
  RFC 3830 §4.1  PRF and labels; §4.2.3 AES-CM IV; §4.2.5 RSA PKCS#1 v1.5
  RFC 3830 §5.2  "The MAC is calculated over the entire Key data transport
                 payload except the MAC field. Before calculating the MAC, the
                 Next payload field is set to zero." Signatures over the
                 message except the Signature field. "The Responder does not
                 create a new timestamp, but uses the timestamp used by the
                 Initiator." V: R_MESSAGE || IDi || IDr || T.
  RFC 3830 §6    payload formats
  RFC 4738 §3    RSA-R: I_MESSAGE = HDR, T, [RAND], [IDi|CERTi], [IDr], {SP},
                 SIGNi; R_MESSAGE = HDR, [GenExt(CSB_ID)], T, [RAND],
                 [IDr|CERTr], [SP], KEMAC, PKE, SIGNr; "The T payload is
                 exactly the same as that received in the I_MESSAGE"; RAND in
                 the R_MESSAGE only when the I_MESSAGE had none; KEMAC =
                 E(encr_key, IDr || {TGK}) || MAC; SIGNr over "R_MESSAGE
                 (excluding the SIGNr payload itself) || IDi || IDr || T".

RSA keys and certificates (a CA, alice, bob) are made afresh on every run,
so no private key is committed and every build tests other keys; PKCS#1 v1.5
encryption uses a fixed padding string (any non-zero one is valid) and
signatures are PKCS#1 v1.5 with SHA-256 (deterministic).
"""
import datetime
import functools
import hashlib
import hmac
import os
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID

import mikey_prf

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "pubkey_kat.inc")


# RFC 3830 §4.1.2 PRF, MIKEY-1 (HMAC-SHA-1), and the §4.1.3 / §4.1.4 labels.
prf = functools.partial(mikey_prf.prf, "sha1")
label = mikey_prf.label


def message_keys(env, csb, rand, t):
    """§4.1.4 keys from the envelope key and the §4.2.3 AES-CM IV."""
    encr = prf(env, label(0x150533E1, 0xFF, csb, rand), 16)
    auth = prf(env, label(0x2D22AC75, 0xFF, csb, rand), 20)
    salt = prf(env, label(0x29B88916, 0xFF, csb, rand), 14)
    x = b"\x00\x00" + struct.pack(">IQ", csb, t)
    iv = bytes(a ^ b for a, b in zip(salt, x)) + b"\x00\x00"
    return encr, auth, iv


def aes_cm(key, iv, data):
    e = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return e.update(data) + e.finalize()


# --- RSA without randomness -------------------------------------------------

def rsa_pkcs1_encrypt(pub, m):
    """RSAES-PKCS1-v1_5 (RFC 8017 §7.2.1) with a fixed non-zero PS."""
    nums = pub.public_numbers()
    k = (nums.n.bit_length() + 7) // 8
    ps = bytes((i * 37 + 11) % 255 + 1 for i in range(k - len(m) - 3))
    em = b"\x00\x02" + ps + b"\x00" + m
    c = pow(int.from_bytes(em, "big"), nums.e, nums.n)
    return c.to_bytes(k, "big")


def sign(key, data):
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


# --- Keys and certificates --------------------------------------------------

NOT_BEFORE = datetime.datetime(2020, 1, 1)
NOT_AFTER = datetime.datetime(2040, 1, 1)


def load_or_make_keys():
    return [rsa.generate_private_key(65537, 2048) for _ in range(3)]


def cert(subject_key, cn, issuer_key, issuer_cn, uri, serial, ca):
    b = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                     cn)]))
         .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                    issuer_cn)]))
         .public_key(subject_key.public_key())
         .serial_number(serial)
         .not_valid_before(NOT_BEFORE)
         .not_valid_after(NOT_AFTER)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None),
                        critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False,
            key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
    else:
        b = b.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False,
            key_encipherment=True, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        b = b.add_extension(x509.SubjectAlternativeName(
            [x509.UniformResourceIdentifier(uri)]), critical=False)
    return b.sign(issuer_key, hashes.SHA256()).public_bytes(
        serialization.Encoding.DER)


ca_key, alice_key, bob_key = load_or_make_keys()
CA = cert(ca_key, "KAT CA", ca_key, "KAT CA", None, 1, True)
ALICE = cert(alice_key, "alice", ca_key, "KAT CA", "sip:alice@example.com", 2,
             False)
BOB = cert(bob_key, "bob", ca_key, "KAT CA", "sip:bob@example.com", 3, False)
IDI = b"sip:alice@example.com"
IDR = b"sip:bob@example.com"


def pkcs8(k):
    return k.private_bytes(serialization.Encoding.DER,
                           serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())


# --- Payloads (RFC 3830 §6) -------------------------------------------------

T_I = 0xE8D4A51000000000
SP = [(0, 1), (1, 16), (2, 1), (3, 20), (4, 14), (5, 0), (7, 1), (8, 1),
      (10, 1), (11, 10)]


def hdr(data_type, nxt, v, csb, ssrc):
    return struct.pack(">BBBBIBBBII", 1, data_type, nxt, 0x80 if v else 0, csb,
                       1, 0, 0, ssrc, 0)


def t_payload(nxt, t):
    return struct.pack(">BBQ", nxt, 0, t)


def rand_payload(nxt, r):
    return struct.pack(">BB", nxt, len(r)) + r


def id_payload(nxt, data):
    return struct.pack(">BBH", nxt, 1, len(data)) + data       # URI


def cert_payload(nxt, der):
    return struct.pack(">BBH", nxt, 0, len(der)) + der         # X.509v3


def sp_payload(nxt):
    params = b"".join(struct.pack(">BBB", ty, 1, v) for ty, v in SP)
    return struct.pack(">BBBH", nxt, 0, 0, len(params)) + params


def key_data(tgk):
    return struct.pack(">BBH", 0, 0x00, len(tgk)) + tgk        # Last, TGK


def kemac(nxt, encr_key, iv, auth_key, plain, zero_next=True):
    """KEMAC with AES-CM-128 and HMAC-SHA-1-160 over the payload minus the
    MAC, the Next payload field set to zero first (§5.2) -- or, for the
    negative vector, left as it is."""
    enc = aes_cm(encr_key, iv, plain)
    # Encr alg (1, AES-CM-128), Encr data len, Encr data, MAC alg (1):
    body = struct.pack(">BH", 1, len(enc)) + enc + b"\x01"
    mac = hmac.new(auth_key, (b"\x00" if zero_next else bytes([nxt])) + body,
                   hashlib.sha1).digest()
    return bytes([nxt]) + body + mac


def pke_payload(nxt, data):
    return struct.pack(">BH", nxt, len(data)) + data            # C = 0


def signed(msg_without_sign, key, suffix=b""):
    """Appends the SIGN payload (S type 0, length 256) and the signature over
    everything before the Signature field, followed by `suffix`."""
    m = msg_without_sign + struct.pack(">H", (0 << 12) | 256)
    return m + sign(key, m + suffix)


lines = []


def out(name, value):
    lines.append(f"// {name}")
    h = value.hex()
    lines.append(f"constexpr char k{name}[] =")
    chunks = [h[i:i + 64] for i in range(0, len(h), 64)] or [""]
    lines.append("\n".join(f'    "{c}"' for c in chunks) + ";")


out("CaDer", CA)
out("AliceDer", ALICE)
out("BobDer", BOB)
out("AliceKey", pkcs8(alice_key))
out("BobKey", pkcs8(bob_key))

# --- PK mode: alice -> bob --------------------------------------------------

CSB_PK = 0x13572468
SSRC_PK = 0xAABBCCDD
RAND_PK = bytes(range(0x50, 0x60))
ENV = bytes(range(0xE0, 0xF0))
TGK_PK = bytes(range(0x70, 0x80))
ek, ak, iv = message_keys(ENV, CSB_PK, RAND_PK, T_I)
plain = id_payload(20, IDI) + key_data(TGK_PK)                 # IDi || TGK
pke = rsa_pkcs1_encrypt(bob_key.public_key(), ENV)


def pk_i_message(zero_next):
    m = (hdr(2, 5, True, CSB_PK, SSRC_PK) + t_payload(11, T_I)
         + rand_payload(6, RAND_PK) + id_payload(7, IDI)
         + cert_payload(10, ALICE) + sp_payload(1)
         + kemac(2, ek, iv, ak, plain, zero_next) + pke_payload(4, pke))
    return signed(m, alice_key)


out("PkIMessage", pk_i_message(True))
out("PkIMessageMacWithNextPayload", pk_i_message(False))
out("PkEnvelopeKey", ENV)
out("PkTek", prf(TGK_PK, label(0x2AD01C64, 1, CSB_PK, RAND_PK), 16))
out("PkSalt", prf(TGK_PK, label(0x39A2C14B, 1, CSB_PK, RAND_PK), 14))
# R_MESSAGE = HDR (type 3), T (the Initiator's), V; no IDr.
r = (hdr(3, 5, False, CSB_PK, SSRC_PK) + t_payload(9, T_I)
     + struct.pack(">BB", 0, 1))
r += hmac.new(ak, r + IDI + b"" + struct.pack(">Q", T_I),
              hashlib.sha1).digest()
out("PkRMessage", r)

# --- RSA-R: alice asks bob ----------------------------------------------------

CSB_RR = 0x24681357
SSRC_RR = 0x01020304
RAND_RR = bytes(range(0x90, 0xA0))
ENV_RR = bytes(range(0x10, 0x20)) + bytes(range(0x40, 0x50))   # 32 octets
TGK_RR = bytes(range(0xA0, 0xC0))                               # 32 octets
rsar_i = signed(hdr(9, 5, True, CSB_RR, SSRC_RR) + t_payload(11, T_I)
                + rand_payload(6, RAND_RR) + id_payload(7, IDI)
                + cert_payload(10, ALICE) + sp_payload(4), alice_key)
out("RsaRIMessage", rsar_i)
ek, ak, iv = message_keys(ENV_RR, CSB_RR, RAND_RR, T_I)
plain = id_payload(20, IDR) + key_data(TGK_RR)                 # IDr || TGK
pke = rsa_pkcs1_encrypt(alice_key.public_key(), ENV_RR)
SUFFIX = IDI + IDR + struct.pack(">Q", T_I)                    # IDi||IDr||T


def rsar_r_message(zero_next=True, suffix=SUFFIX, t=T_I, rand=None):
    m = hdr(10, 5, False, CSB_RR, SSRC_RR)
    m += t_payload(11 if rand else 6, t)
    if rand:
        m += rand_payload(6, rand)
    m += (id_payload(7, IDR) + cert_payload(10, BOB) + sp_payload(1)
          + kemac(2, ek, iv, ak, plain, zero_next) + pke_payload(4, pke))
    return signed(m, bob_key, suffix)


out("RsaRRMessage", rsar_r_message())
out("RsaRRMessageMacWithNextPayload", rsar_r_message(zero_next=False))
out("RsaRRMessageSignedWithoutSuffix", rsar_r_message(suffix=b""))
# A RAND although the I_MESSAGE had one (RFC 4738 §3.7: discarded); keys as
# above otherwise (the KEMAC keys do not depend on which RAND is sent here).
out("RsaRRMessageWithRand", rsar_r_message(rand=bytes(16)))
out("RsaRTek", prf(TGK_RR, label(0x2AD01C64, 1, CSB_RR, RAND_RR), 16))
out("RsaRSalt", prf(TGK_RR, label(0x39A2C14B, 1, CSB_RR, RAND_RR), 14))

with open(OUT, "w") as f:
    f.write("// Generated by gen_pubkey_kat.py (independent of the code under "
            "test); do not edit.\n\n")
    f.write("\n".join(lines) + "\n")
print(f"wrote {OUT}")
