#!/usr/bin/python3
"""Independent known-answer vectors for core/exchange/psk_test.cc.

Run with Debian's /usr/bin/python3 (python3-cryptography). Everything here is
written from RFC 3830 (§4.1.2 PRF, §4.1.3/§4.1.4 labels, §4.2.3 AES-CM IV and
AES-KW IV, §5.2 MAC, V and the Responder's timestamp, §6 payload formats),
RFC 3394 (key wrap with an explicit IV) and RFC 6043 (PRF-HMAC-SHA-256,
HMAC-SHA-256-256) using only hmac/hashlib and the cryptography package's AES,
without any of this project's code. It prints the I_MESSAGE, the expected
SRTP keys and the expected R_MESSAGE.
"""
import hmac
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from mikey_prf import label, prf


def aes_ecb(key, block):
    e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return e.update(block) + e.finalize()


def aes_key_wrap_iv(kek, plain, iv):
    """RFC 3394 §2.2.1 wrap with initial value `iv` (RFC 3830 §4.2.3: "the
    key wrap IV is then set to S")."""
    n = len(plain) // 8
    a, r = iv, [plain[8 * i:8 * i + 8] for i in range(n)]
    for j in range(6):
        for i in range(n):
            b = aes_ecb(kek, a + r[i])
            a = (int.from_bytes(b[:8], "big") ^ (n * j + i + 1)).to_bytes(
                8, "big")
            r[i] = b[8:]
    return a + b"".join(r)


# The explicit-IV wrap reproduces RFC 3394 §4.1 with the default IV.
assert aes_key_wrap_iv(bytes(range(16)),
                       bytes.fromhex("00112233445566778899AABBCCDDEEFF"),
                       b"\xa6" * 8).hex() == (
    "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5")


def t_payload(nxt, ts_type, t):
    """T (§6.6): NTP-UTC (0) 64 bits, COUNTER (2) 32 bits."""
    if ts_type == 2:
        return struct.pack(">BBI", nxt, 2, t)
    return struct.pack(">BBQ", nxt, ts_type, t)


def t_wire(ts_type, t):
    return struct.pack(">I", t) if ts_type == 2 else struct.pack(">Q", t)


def build(name, hash_name, prf_func, encr_alg, mac_alg, mac_len, psk, csb_id,
          t, rand, tgk, streams, sp_params, key_len, salt_len, t_r,
          ts_type=0, id_i=b""):
    # Common header: version 1, PSK init (0), next = T (5), V=1|PRF,
    # CSB ID, #CS, map type SRTP-ID (0), entries (policy, SSRC, ROC).
    hdr = struct.pack(">BBBBIBB", 1, 0, 5, 0x80 | prf_func, csb_id,
                      len(streams), 0)
    for ssrc, roc in streams:
        hdr += struct.pack(">BII", 0, ssrc, roc)
    t_pl = t_payload(11, ts_type, t)                     # next RAND
    rand_pl = struct.pack(">BB", 6 if id_i else 10, len(rand)) + rand
    if id_i:                                             # IDi, URI, next SP
        rand_pl += struct.pack(">BBH", 10, 1, len(id_i)) + id_i
    params = b"".join(struct.pack(">BBB", ty, 1, v) for ty, v in sp_params)
    sp_pl = struct.pack(">BBBH", 1, 0, 0, len(params)) + params  # next KEMAC
    key_data = struct.pack(">BBH", 0, 0x00, len(tgk)) + tgk  # Last, TGK, KV NULL
    encr_key = prf(hash_name, psk, label(0x150533E1, 0xFF, csb_id, rand), 16)
    if encr_alg == 1:
        salt = prf(hash_name, psk, label(0x29B88916, 0xFF, csb_id, rand), 14)
        # §4.2.3 IV; a COUNTER is "padded (with leading zeros) to a 64-bit
        # value" (§6.6).
        x = b"\x00\x00" + struct.pack(">IQ", csb_id, t)
        iv = bytes(a ^ b for a, b in zip(salt, x)) + b"\x00\x00"
        enc = Cipher(algorithms.AES(encr_key), modes.CTR(iv)).encryptor()
        encr = enc.update(key_data) + enc.finalize()
    else:
        # 64-bit salt S from the salt constant (§4.1.4), the KW IV.
        s_kw = prf(hash_name, psk, label(0x29B88916, 0xFF, csb_id, rand), 8)
        padded = key_data + bytes((-len(key_data)) % 8)
        encr = aes_key_wrap_iv(encr_key, padded, s_kw)
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
    # R_MESSAGE = HDR (data type 1, V=0), T, V. §5.2: "The Responder does
    # not create a new timestamp, but uses the timestamp used by the
    # Initiator": T is the Initiator's T payload (NTP-UTC, t). The V MAC
    # covers the R_MESSAGE up to the MAC, then IDi || IDr (both empty here)
    # and the Initiator's TS value (8 octets).
    r_hdr = struct.pack(">BBBBIBB", 1, 1, 5, prf_func, csb_id, len(streams), 0)
    for ssrc, roc in streams:
        r_hdr += struct.pack(">BII", 0, ssrc, roc)
    r = r_hdr + t_payload(9, ts_type, t) + struct.pack(">BB", 0, mac_alg)
    r += hmac.new(auth_key, r + id_i + t_wire(ts_type, t),
                  hash_name).digest()
    print(f'R_MESSAGE (answered at {t_r:#x}): "{r.hex()}"')
    if ts_type != 0:
        return
    # The same from a Responder that writes its own time t_r (minisip): the
    # Initiator accepts it too (within the clock skew).
    r2 = r_hdr + struct.pack(">BBQ", 9, 0, t_r) + struct.pack(">BB", 0,
                                                             mac_alg)
    r2 += hmac.new(auth_key, r2 + struct.pack(">Q", t), hash_name).digest()
    print(f'R_MESSAGE with a fresh T {t_r:#x}: "{r2.hex()}"')


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
# COUNTER timestamp (type 2, 32 bits) and an IDi: the AES-CM IV takes the
# counter zero-extended to 64 bits, the R_MESSAGE echoes the COUNTER T
# payload, and V covers R_MESSAGE || IDi || IDr (none) || the 4-octet T.
build("MIKEY-1, AES-CM-128, HMAC-SHA-1-160, COUNTER 0x01020307, IDi",
      "sha1", 0, 1, 1, 20, PSK, 0x0C0C0C0C, 0x01020307, RAND,
      bytes(range(0x20, 0x30)), [(0x33333333, 0)], AES128_SP, 16, 14, 0,
      ts_type=2, id_i=b"sip:alice@example.org")
