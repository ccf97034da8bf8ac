"""A big ballot box made fast, for the 10,000 ballots x 30 members test and the benchmark.

Real encryption costs two scalar multiplications a slot (about 4 ms a ballot at 30 members, 40 s
for the box). This generator knows the secret seed and makes the *same kind* of box with point
additions only: ballot i uses the randomness r_i = r_0 + i, so

    A_i = A_(i-1) + G        and        B_(i,k) = B_(i-1,k) + Y_k + (v_(i,k) - v_(i-1,k)) G,

three precomputed deltas per slot (Y_k - G, Y_k, Y_k + G), one libsecp256k1 ``combine`` and one
``serialize`` a point. Every ciphertext is a genuine encryption of its ballot under the box's
keys (only the randomness is predictable, which a box cannot show and a test does not mind); the
box is then closed by the product's own ``decrypt_sums`` and written by ``box_document``.

``make_box(ballots, members, seed=...)`` is the interface bench/ reuses.
"""

from __future__ import annotations

import functools
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coincurve._libsecp256k1 import ffi, lib  # type: ignore[import-not-found]
from coincurve.context import GLOBAL_CONTEXT

from tally import box, group
from tally.group import ORDER, POINT_BYTES
from tally.rules import Rules

__all__ = ["BigBox", "make_box", "ratings_of"]

#: How a made-up voter rates one member: mostly Competent, some Excellent, a few blanks.
RATING_WEIGHTS = {"excellent": 30, "competent": 50, "basically_competent": 10,
                  "incompetent": 3, None: 7}

_CTX: Any = GLOBAL_CONTEXT.ctx
_UNCOMPRESSED = lib.SECP256K1_EC_UNCOMPRESSED


@dataclass(frozen=True)
class BigBox:
    """Ballots encrypted under a seed's keys, what they must recount to, and (on first use of
    ``data``) the closed box file."""

    #: The 4m slot counts, in slot order (the plaintext truth, counted while generating).
    counts: list[int]
    #: The valid ballots' ciphertexts in the order they were made (the box sorts them).
    ciphertexts: list[bytes]
    seed: bytes
    #: The 4m public keys, concatenated (65 bytes each).
    keys: bytes
    header: dict[str, Any]
    invalid: int = 0
    decimals: int = 2

    @property
    def members(self) -> int:
        return len(self.counts) // box.SLOTS_PER_MEMBER

    @functools.cached_property
    def data(self) -> bytes:
        """The box file, closed as the product closes one: the sums decrypted by
        ``decrypt_sums`` (with proofs), written by ``box_document`` in canonical form. Made on
        first use (about 3 s at 10,000 x 30), so a caller that needs only the ciphertexts
        does not pay for it."""
        decryption = box.decrypt_sums(self.seed, self.keys, self.ciphertexts,
                                      box.header_digest(self.header))
        if decryption.counts != self.counts:
            raise AssertionError("the box does not decrypt to the ballots it was made of")
        result = box.result_section(decryption, len(self.ciphertexts), self.invalid,
                                    Rules(decimals=self.decimals))
        return box.canonical(box.box_document(self.header, self.ciphertexts, result))


def _key_seed(seed: bytes | int | None) -> bytes:
    if seed is None:
        return box.new_seed()
    if isinstance(seed, int):
        return hashlib.sha256(b"tests.support.bigbox " + str(seed).encode()).digest()
    if len(seed) != box.SEED_BYTES:
        raise ValueError(f"a key seed is {box.SEED_BYTES} bytes")
    return seed


def ratings_of(rng: random.Random, members: int) -> list[str | None]:
    """One made-up ballot: a rating (or None, left blank) per member."""
    names = list(RATING_WEIGHTS)
    return rng.choices(names, weights=list(RATING_WEIGHTS.values()), k=members)


def _parse(encoded: bytes, into: Any) -> None:
    if not lib.secp256k1_ec_pubkey_parse(_CTX, into, encoded, POINT_BYTES):
        raise AssertionError("not a point")


def encrypt_all(keys: bytes, rows: Sequence[Sequence[int]], first_r: int) -> list[bytes]:
    """The ciphertexts of the slot-value rows, row i under the randomness ``first_r + i``."""
    public = box.split_points(keys)
    width = len(public) + 1
    if not rows:
        return []
    if not 0 < first_r < ORDER - len(rows):
        raise ValueError("first_r + i must stay a non-zero scalar")
    # Delta points: column 0 (A) always adds G; slot k adds Y_k + d G for d = -1, 0, 1.
    generator = group.encode(group.base_times(1))
    deltas = ffi.new("secp256k1_pubkey[]", width * 3)
    for d in range(3):
        _parse(generator, deltas + d)
    for k, key in enumerate(public, start=1):
        y = group.point(key)
        for d, step in enumerate((ORDER - 1, 0, 1)):
            _parse(group.encode(group.plus_base_times(y, step)), deltas + 3 * k + d)
    # Two rows of parsed points, used in turn as the previous ballot and the current one.
    buffers = [ffi.new("secp256k1_pubkey[]", width), ffi.new("secp256k1_pubkey[]", width)]
    first = rows[0]
    _parse(group.encode(group.base_times(first_r)), buffers[0])
    for k, key in enumerate(public, start=1):
        point = group.plus_base_times(group.times(group.point(key), first_r), first[k - 1])
        _parse(group.encode(point), buffers[0] + k)
    # pairs[parity][k][d]: the two points to add for column k when the previous row is
    # buffers[parity]; current[parity][k]: where the sum goes.
    pairs = [[[ffi.new("secp256k1_pubkey *[2]", [buffers[p] + k, deltas + 3 * k + d])
               for d in range(3)] for k in range(width)] for p in range(2)]
    current = [[buffers[1 - p] + k for k in range(width)] for p in range(2)]
    out = ffi.new("unsigned char[]", width * POINT_BYTES)
    out_at = [out + k * POINT_BYTES for k in range(width)]
    size = ffi.new("size_t *", POINT_BYTES)
    combine, serialize = lib.secp256k1_ec_pubkey_combine, lib.secp256k1_ec_pubkey_serialize
    ctx, uncompressed = _CTX, _UNCOMPRESSED
    out_buffer = ffi.buffer(out)

    # The first row, from the parsed points as they are.
    for k in range(width):
        serialize(ctx, out_at[k], size, buffers[0] + k, uncompressed)
    ciphertexts = [out_buffer[:]]
    previous = list(first)
    parity = 0
    columns = range(width)
    for row in rows[1:]:
        steps = [1, *(1 + v - w for v, w in zip(row, previous, strict=True))]
        row_pairs, row_current = pairs[parity], current[parity]
        for k in columns:
            if not combine(ctx, row_current[k], row_pairs[k][steps[k]], 2):
                raise AssertionError("a sum fell on the point at infinity")
            serialize(ctx, out_at[k], size, row_current[k], uncompressed)
        ciphertexts.append(out_buffer[:])
        previous = list(row)
        parity = 1 - parity
    return ciphertexts


def make_box(ballots: int, members: int, seed: bytes | int | None = None, *,
             invalid: int = 0, decimals: int = 2) -> BigBox:
    """A box of ``ballots`` valid ballots over ``members`` members, made-up ratings (the
    file itself, closed, is ``.data``).

    ``seed`` is the evaluation's 32-byte key seed, or an int from which one is derived (the
    same int gives the same ratings and the same keys); None: a fresh seed.
    """
    key_seed = _key_seed(seed)
    rng = random.Random(key_seed)
    slots = members * box.SLOTS_PER_MEMBER
    keys = box.public_keys(key_seed, slots)
    header = box.make_header(
        evaluation=1, county="测试县", year=2026, kind="democratic",
        members=[{"name": f"成员{i + 1:02d}"} for i in range(members)],
        keys=keys, decimals=decimals, excellent_cap=None)
    rows = [box.slot_values(ratings_of(rng, members)) for _ in range(ballots)]
    counts = [sum(column) for column in zip(*rows, strict=True)] if rows else [0] * slots
    first_r = rng.randrange(1, ORDER - ballots - 1)
    ciphertexts = encrypt_all(keys, rows, first_r)
    return BigBox(counts=counts, ciphertexts=ciphertexts, seed=key_seed, keys=keys,
                  header=header, invalid=invalid, decimals=decimals)
