#!/usr/bin/python3
"""Independent known-answer vectors for core/exchange/psk_test.cc.

Run with Debian's /usr/bin/python3 (python3-cryptography). Everything here is
written from RFC 3830 (§4.1.2 PRF, §4.1.3/§4.1.4 labels, §4.2.3 AES-CM IV,
§5.2 MAC, §6 payload formats) and RFC 6043 (PRF-HMAC-SHA-256, HMAC-SHA-256-256)
using only hmac/hashlib and the cryptography package's AES, without any of
this project's code. It prints the I_MESSAGE and the expected SRTP keys.
"""
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import aes_key_wrap


def p_hash(hash_name, s, label, out_len):
    """P(s, label, m) of RFC 3830 §4.1.2, truncated."""
    out = b""
    a = label
    while len(out) < out_len:
        a = hmac.new(s, a, hash_name).digest()
        out += hmac.new(s, a + label, hash_name).digest()
    return out[:out_len]


def prf(hash_name, inkey, label, out_len):
    """PRF(inkey, label): XOR of P over 256-bit inkey blocks."""
    acc = bytes(out_len)
    for i in range(0, len(inkey), 32):
        p = p_hash(hash_name, inkey[i:i + 32], label, out_len)
        acc = bytes(x ^ y for x, y in zip(acc, p))
    return acc


def label(const, cs_id, csb_id, rand):
    return struct.pack(">IBI", const, cs_id, csb_id) + rand


def build(name, hash_name, prf_func, encr_alg, mac_alg, mac_len, psk, csb_id,
          t, rand, tgk, streams, sp_params, key_len, salt_len, t_r):
    # Common header: version 1, PSK init (0), next = T (5), V=1|PRF,
    # CSB ID, #CS, map type SRTP-ID (0), entries (policy, SSRC, ROC).
    hdr = struct.pack(">BBBBIBB", 1, 0, 5, 0x80 | prf_func, csb_id,
                      len(streams), 0)
    for ssrc, roc in streams:
        hdr += struct.pack(">BII", 0, ssrc, roc)
    t_pl = struct.pack(">BBQ", 11, 0, t)                 # next RAND, NTP-UTC
    rand_pl = struct.pack(">BB", 10, len(rand)) + rand   # next SP
    params = b"".join(struct.pack(">BBB", ty, 1, v) for ty, v in sp_params)
    sp_pl = struct.pack(">BBBH", 1, 0, 0, len(params)) + params  # next KEMAC
    key_data = struct.pack(">BBH", 0, 0x00, len(tgk)) + tgk  # Last, TGK, KV NULL
    encr_key = prf(hash_name, psk, label(0x150533E1, 0xFF, csb_id, rand), 16)
    if encr_alg == 1:
        salt = prf(hash_name, psk, label(0x29B88916, 0xFF, csb_id, rand), 14)
        x = b"\x00\x00" + struct.pack(">IQ", csb_id, t)
        iv = bytes(a ^ b for a, b in zip(salt, x)) + b"\x00\x00"
        enc = Cipher(algorithms.AES(encr_key), modes.CTR(iv)).encryptor()
        encr = enc.update(key_data) + enc.finalize()
    else:
        padded = key_data + bytes((-len(key_data)) % 8)
        encr = aes_key_wrap(encr_key, padded)
    kemac_no_mac = struct.pack(">BBH", 0, encr_alg, len(encr)) + encr + bytes(
        [mac_alg])
    msg = hdr + t_pl + rand_pl + sp_pl + kemac_no_mac
    auth_key = prf(hash_name, psk, label(0x2D22AC75, 0xFF, csb_id, rand),
                   mac_len)
    mac = hmac.new(auth_key, msg, hash_name).digest()
    msg += mac
    print(f"// {name}")
    print(f'I_MESSAGE "{msg.hex()}"')
    for i in range(len(streams)):
        tek = prf(hash_name, tgk, label(0x2AD01C64, i + 1, csb_id, rand),
                  key_len)
        msalt = prf(hash_name, tgk, label(0x39A2C14B, i + 1, csb_id, rand),
                    salt_len)
        print(f'  cs {i + 1}: key "{tek.hex()}" salt "{msalt.hex()}"')
    # R_MESSAGE = HDR (data type 1, V=0), T (Responder's time t_r), V whose
    # MAC covers the R_MESSAGE up to the MAC, then IDi || IDr (both empty
    # here) and the Initiator's TS value (8 octets).
    r_hdr = struct.pack(">BBBBIBB", 1, 1, 5, prf_func, csb_id, len(streams), 0)
    for ssrc, roc in streams:
        r_hdr += struct.pack(">BII", 0, ssrc, roc)
    r = r_hdr + struct.pack(">BBQ", 9, 0, t_r) + struct.pack(">BB", 0, mac_alg)
    r += hmac.new(auth_key, r + struct.pack(">Q", t), hash_name).digest()
    print(f'R_MESSAGE at {t_r:#x}: "{r.hex()}"')


PSK = bytes(range(0x40, 0x54))            # 20 octets
RAND = bytes(range(0xA0, 0xB0))           # 16 octets
T = 0xE8D4A51000000000                    # an NTP-UTC value
AES128_SP = [(0, 1), (1, 16), (2, 1), (3, 20), (4, 14), (5, 0), (7, 1),
             (8, 1), (10, 1), (11, 10)]
AES256_SP = [(0, 1), (1, 32), (2, 1), (3, 20), (4, 14), (5, 0), (7, 1),
             (8, 1), (10, 1), (11, 10)]

build("MIKEY-1, AES-CM-128, HMAC-SHA-1-160, AES_CM_128_HMAC_SHA1_80, 2 streams",
      "sha1", 0, 1, 1, 20, PSK, 0x01020304, T, RAND,
      bytes(range(0x10, 0x20)), [(0x11111111, 0), (0x22222222, 7)],
      AES128_SP, 16, 14, T + (1 << 32))
build("PRF-HMAC-SHA-256, AES-KW-128, HMAC-SHA-256-256, AES_256_CM_HMAC_SHA1_80",
      "sha256", 1, 2, 2, 32, PSK + bytes(range(0x60, 0x6C)), 0xCAFEBABE, T,
      RAND, bytes(range(0x80, 0xA0)), [(0xDEADBEEF, 1)], AES256_SP, 32, 14, T + (1 << 32))
