#!/usr/bin/python3
"""Independent known-answer vector for core/exchange/dhhmac_test.cc.

Run with Debian's /usr/bin/python3. Written from RFC 4650 §3 (message
shapes: "I_message = HDR, T, RAND, [IDi], IDr, {SP}, DHi, KEMAC",
"R_message = HDR, T, [IDr], IDi, DHr, DHi, KEMAC"), RFC 4650 §4.2 (KEMAC:
no encrypted data, MAC over the whole message except the MAC field), RFC
3830 (§4.1.2 PRF, §4.1.3/§4.1.4 labels -- auth_key from the PSK, §3.3/§5.2:
the Responder's T is the Initiator's, §6 payload formats) and RFC 2409 §6.2
(the OAKLEY 2 prime), using only hmac, hashlib and pow() -- none of this
project's code. It prints a DHHMAC I_MESSAGE and R_MESSAGE over OAKLEY 2,
the Initiator's private exponent and the SRTP keys both sides must derive.
"""
import functools
import hashlib
import hmac
import struct

import mikey_prf


# RFC 3830 §4.1.2 PRF, MIKEY-1 (HMAC-SHA-1), and the §4.1.3 / §4.1.4 labels.
prf = functools.partial(mikey_prf.prf, "sha1")
label = mikey_prf.label


# RFC 2409 §6.2, as printed there.
P = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"
    "FFFFFFFFFFFFFFFF", 16)
N = 128

PSK = bytes(range(0x30, 0x44))                  # 20 octets
RAND = bytes(range(0xC0, 0xD0))                 # 16 octets
CSB = 0x0A0B0C0D
T_I = 0xE8D4A51000000000
IDI = b"sip:alice@example.org"
IDR = b"sip:bob@example.org"
XI = int.from_bytes(bytes((7 * i + 1) % 256 for i in range(N)), "big") >> 1
XR = int.from_bytes(bytes((11 * i + 5) % 256 for i in range(N)), "big") >> 1
YI = pow(2, XI, P).to_bytes(N, "big")
YR = pow(2, XR, P).to_bytes(N, "big")
TGK = pow(int.from_bytes(YR, "big"), XI, P).to_bytes(N, "big")
assert TGK == pow(int.from_bytes(YI, "big"), XR, P).to_bytes(N, "big")
STREAMS = [(0x11223344, 0), (0x55667788, 3)]
SP = [(0, 1), (1, 16), (2, 1), (3, 20), (4, 14), (5, 0), (7, 1), (8, 1),
      (10, 1), (11, 10)]

auth_key = prf(PSK, label(0x2D22AC75, 0xFF, CSB, RAND), 20)


def hdr(data_type, v):
    h = struct.pack(">BBBBIBB", 1, data_type, 5, (0x80 if v else 0) | 0, CSB,
                    len(STREAMS), 0)
    for ssrc, roc in STREAMS:
        h += struct.pack(">BII", 0, ssrc, roc)
    return h


def id_payload(nxt, data):
    return struct.pack(">BBH", nxt, 1, len(data)) + data   # type 1: URI


def dh_payload(nxt, value):
    return struct.pack(">BB", nxt, 2) + value + b"\x00"    # OAKLEY 2, KV NULL


def mac_only_kemac():
    return struct.pack(">BBHB", 0, 0, 0, 1)                # NULL, len 0, SHA1


params = b"".join(struct.pack(">BBB", ty, 1, v) for ty, v in SP)
# I_message = HDR, T, RAND, IDi, IDr, SP, DHi, KEMAC.
i_msg = (hdr(7, True) + struct.pack(">BBQ", 11, 0, T_I)
         + struct.pack(">BB", 6, len(RAND)) + RAND
         + id_payload(6, IDI) + id_payload(10, IDR)
         + struct.pack(">BBBH", 3, 0, 0, len(params)) + params
         + dh_payload(1, YI) + mac_only_kemac())
i_msg += hmac.new(auth_key, i_msg, hashlib.sha1).digest()

# R_message = HDR, T (the Initiator's, T_I), IDr, IDi, DHr, DHi, KEMAC.
r_msg = (hdr(8, False) + struct.pack(">BBQ", 6, 0, T_I)
         + id_payload(6, IDR) + id_payload(3, IDI) + dh_payload(3, YR)
         + dh_payload(1, YI) + mac_only_kemac())
r_msg += hmac.new(auth_key, r_msg, hashlib.sha1).digest()

print(f'PSK "{PSK.hex()}"')
print(f'XI "{XI.to_bytes(N, "big").hex()}"')
print(f'I_MESSAGE "{i_msg.hex()}"')
print(f'R_MESSAGE "{r_msg.hex()}"')
for cs in range(1, len(STREAMS) + 1):
    tek = prf(TGK, label(0x2AD01C64, cs, CSB, RAND), 16)
    salt = prf(TGK, label(0x39A2C14B, cs, CSB, RAND), 14)
    print(f'cs {cs}: key "{tek.hex()}" salt "{salt.hex()}"')
