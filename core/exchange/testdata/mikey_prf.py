"""The MIKEY PRF and key-derivation labels, written from RFC 3830 (§4.1.2
PRF, §4.1.3/§4.1.4 labels) and RFC 6043 (PRF-HMAC-SHA-256) with Python's
hmac and hashlib only: none of this project's code. Shared by the known-
answer generators beside it (gen_psk_kat.py, gen_dhhmac_kat.py,
gen_pubkey_kat.py).
"""
import hmac
import struct


def p_hash(hash_name, s, label, out_len):
    """P(s, label, m) of RFC 3830 §4.1.2, truncated to out_len octets."""
    out = b""
    a = label
    while len(out) < out_len:
        a = hmac.new(s, a, hash_name).digest()
        out += hmac.new(s, a + label, hash_name).digest()
    return out[:out_len]


def prf(hash_name, inkey, label, out_len):
    """PRF(inkey, label): XOR of P over the 256-bit blocks of the inkey."""
    acc = bytes(out_len)
    for i in range(0, len(inkey), 32):
        p = p_hash(hash_name, inkey[i:i + 32], label, out_len)
        acc = bytes(x ^ y for x, y in zip(acc, p))
    return acc


def label(const, cs_id, csb_id, rand):
    """const || cs_id || CSB ID || RAND (RFC 3830 §4.1.3 and §4.1.4)."""
    return struct.pack(">IBI", const, cs_id, csb_id) + rand
