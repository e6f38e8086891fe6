#!/usr/bin/python3
"""Independent known answers for core/crypto/dh_test.cc.

Run with Debian's /usr/bin/python3. The primes are computed here from their
definition in RFC 2409 §6.1/§6.2 and RFC 3526 §2,
    p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) * pi) + c),
with pi from Machin's formula in integer arithmetic, and the public values and
shared secrets with Python's pow(); no crypto library and none of this
project's code is involved. X25519 is checked against RFC 7748 §6.1 with the
cryptography package.
"""
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def arctan_inv(x, bits):
    """arctan(1/x) * 2^bits, truncated."""
    one = 1 << bits
    total = term = one // x
    x2, n, sign = x * x, 1, -1
    while term:
        term //= x2
        total += sign * (term // (2 * n + 1))
        sign, n = -sign, n + 1
    return total


def pi_times_2_to(bits):
    guard = 64
    v = 4 * (4 * arctan_inv(5, bits + guard) - arctan_inv(239, bits + guard))
    return v >> guard


def oakley_prime(n, c):
    return 2**n - 2**(n - 64) - 1 + 2**64 * (pi_times_2_to(n - 130) + c)


GROUPS = {"OAKLEY 1": (768, 149686), "OAKLEY 2": (1024, 129093),
          "OAKLEY 5": (1536, 741804)}

for name, (bits, c) in GROUPS.items():
    p = oakley_prime(bits, c)
    n = bits // 8
    print(f"// {name} prime")
    print(f'"{p.to_bytes(n, "big").hex()}"')
    # Fixed private exponents below q = (p-1)/2.
    xa = int.from_bytes(bytes((i + 1) % 256 for i in range(n)), "big")
    xb = int.from_bytes(bytes((0xA0 + 3 * i) % 256 for i in range(n)), "big")
    xb &= (1 << (bits - 1)) - 1
    q = (p - 1) // 2
    assert 1 < xa < q and 1 < xb < q
    ya, yb = pow(2, xa, p), pow(2, xb, p)
    k = pow(yb, xa, p)
    assert k == pow(ya, xb, p)
    for label, v in (("xa", xa), ("xb", xb), ("ya", ya), ("yb", yb),
                     ("secret", k)):
        print(f'{name} {label} "{v.to_bytes(n, "big").hex()}"')

# RFC 7748 §6.1.
a = bytes.fromhex(
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
b = bytes.fromhex(
    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
ka = x25519.X25519PrivateKey.from_private_bytes(a)
kb = x25519.X25519PrivateKey.from_private_bytes(b)
print("X25519 A pub", ka.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex())
print("X25519 B pub", kb.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex())
print("X25519 K", ka.exchange(kb.public_key()).hex())
