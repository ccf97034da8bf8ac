"""The prime-order group of the ballot box: secp256k1 through libsecp256k1 (``coincurve``).

Every group operation here is libsecp256k1's (Bitcoin Core's constant-time library); this module
only moves bytes in and out. Points travel as 65-byte uncompressed SEC1 encodings
(``04 || x || y``): parsing one costs a curve-equation check, where a compressed point costs a
square root (6 us against 0.4 us, docs/box-format.md), and a box of 10,000 ballots x 30 members
holds 1.2 million of them.

Why not libsodium's Ed25519 through PyNaCl (the stack's default): PyNaCl exposes point addition
only on encoded points, so each addition decodes and re-encodes (16 us measured); summing that
box would take 19 s. libsecp256k1 adds a whole list of points in one call (0.3 us a point).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from coincurve import PrivateKey, PublicKey
from coincurve._libsecp256k1 import ffi as _ffi  # type: ignore[import-not-found]
from coincurve._libsecp256k1 import lib as _lib
from coincurve.context import GLOBAL_CONTEXT

#: The group's order n (SEC 2, secp256k1): every scalar is taken modulo n.
ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
#: Bytes of one encoded point.
POINT_BYTES = 65
_SERIALIZE_UNCOMPRESSED = _lib.SECP256K1_EC_UNCOMPRESSED
_CTX: Any = GLOBAL_CONTEXT.ctx


class GroupError(ValueError):
    """Bytes that are not a point of the group, or a sum that fell on the point at infinity."""


def scalar_bytes(value: int) -> bytes:
    """A scalar as the 32 big-endian bytes libsecp256k1 takes."""
    return (value % ORDER).to_bytes(32, "big")


def random_scalar() -> int:
    """A uniformly random non-zero scalar from the operating system's generator."""
    return secrets.randbelow(ORDER - 1) + 1


def point(encoded: bytes) -> PublicKey:
    """Parse one encoded point, refusing anything that is not on the curve."""
    if len(encoded) != POINT_BYTES or encoded[0] != 4:
        raise GroupError("not a 65-byte uncompressed point")
    try:
        return PublicKey(encoded)
    except ValueError:
        raise GroupError("not a point on secp256k1") from None


def encode(p: PublicKey) -> bytes:
    return p.format(compressed=False)


def base_times(scalar: int) -> PublicKey:
    """scalar x G, for a non-zero scalar."""
    return PrivateKey(scalar_bytes(scalar)).public_key


def times(p: PublicKey, scalar: int) -> PublicKey:
    """scalar x p, for a non-zero scalar."""
    return p.multiply(scalar_bytes(scalar))


def plus_base_times(p: PublicKey, scalar: int) -> PublicKey:
    """p + scalar x G (scalar may be 0)."""
    return p.add(scalar_bytes(scalar))


def add(points: Sequence[PublicKey]) -> PublicKey:
    """The sum of the points; GroupError if it is the point at infinity."""
    try:
        return PublicKey.combine_keys(list(points))
    except ValueError:
        raise GroupError("the sum is the point at infinity") from None


def minus(p: PublicKey, q: PublicKey) -> PublicKey | None:
    """p - q, or None when p == q (the point at infinity)."""
    if encode(p) == encode(q):
        return None
    return add([p, times(q, ORDER - 1)])


def column_sums(rows: Sequence[bytes], width: int) -> list[bytes]:
    """Add up, column by column, rows of ``width`` encoded points each; return the ``width``
    sums, encoded.

    One libsecp256k1 call parses each point and one adds each column, so the cost is a few
    hundred nanoseconds a point (what closing and verifying a 10,000-ballot box spend their
    time on). GroupError names the first row holding bytes that are not a point.
    """
    count = len(rows)
    if count == 0:
        raise GroupError("no rows to add up")
    # Column-major: each column's points lie side by side, so one pointer list serves its sum.
    parsed = _ffi.new("secp256k1_pubkey[]", count * width)
    parse, ctx = _lib.secp256k1_ec_pubkey_parse, _CTX
    row_bytes = width * POINT_BYTES
    prefixes = b"\x04" * width
    # (first slot of the column, the point's offset in a row), for every column.
    places = [(column * count, column * POINT_BYTES) for column in range(width)]
    for index, row in enumerate(rows):
        if len(row) != row_bytes:
            raise GroupError(f"row {index + 1}: {len(row)} bytes, expected {row_bytes}")
        if row[::POINT_BYTES] != prefixes:
            column = next(c for c in range(width) if row[c * POINT_BYTES] != 4)
            raise GroupError(f"row {index + 1}, point {column + 1}: not a point on secp256k1")
        view = _ffi.from_buffer(row)
        slot = parsed + index
        for first, offset in places:
            if not parse(ctx, slot + first, view + offset, POINT_BYTES):
                raise GroupError(f"row {index + 1}, point {first // count + 1}: "
                                 "not a point on secp256k1")
    out = _ffi.new("secp256k1_pubkey *")
    size = _ffi.new("size_t *")
    buffer = _ffi.new("unsigned char[]", POINT_BYTES)
    sums = []
    for column in range(width):
        base = parsed + column * count
        pointers = _ffi.new("secp256k1_pubkey *[]", [base + i for i in range(count)])
        if not _lib.secp256k1_ec_pubkey_combine(ctx, out, pointers, count):
            raise GroupError(f"column {column + 1}: the sum is the point at infinity")
        size[0] = POINT_BYTES
        _lib.secp256k1_ec_pubkey_serialize(ctx, buffer, size, out, _SERIALIZE_UNCOMPRESSED)
        sums.append(bytes(_ffi.buffer(buffer, POINT_BYTES)))
    return sums
