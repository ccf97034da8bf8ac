"""The encrypted ballot box (SPEC "Ballots"): exponential ElGamal with one key per slot, sums
decrypted with Chaum-Pedersen proofs, and the published box that anyone can recount.

A ballot over m members has 4m *slots*, one per member and rating (A8.5/A8.6: Excellent,
Competent, Basically competent, Incompetent, in that order; slot = 4 x member index + rating
index). A slot holds 1 if the voter gave that member that rating, else 0; a member left blank has
four zeros. The evaluation has a secret scalar x_k and a public key Y_k = x_k G per slot, all
derived from one 32-byte seed, so destroying the seed destroys every key.

A ballot is encrypted with one random r: A = r G and B_k = v_k G + r Y_k. Sharing r across
*distinct* keys is the multi-recipient ElGamal of Kurosawa (2002), secure under DDH, and halves
the points a box holds. Summing the ballots slot by slot gives A* = (sum r) G and
B*_k = n_k G + (sum r) Y_k, where n_k is the slot's count; decrypting needs only the sums:
D_k = x_k A*, then n_k G = B*_k - D_k, and n_k (at most the number of ballots) is found by
lookup. A proof that log_G Y_k = log_A* D_k (Chaum-Pedersen, made non-interactive with
SHA-256) lets anyone check each count without the key.

What the box proves and what it does not: the counts are exactly what the published ciphertexts
add up to. Each ciphertext is made by the server, which sees the voter's choices while it
encrypts them (docs/secrecy.md); the box carries no proof that each ciphertext holds 0s and 1s
(such range proofs would cost about 120 proofs a ballot).

The file format is docs/box-format.md. Nothing here imports Flask or a database.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tally import group
from tally.group import ORDER, POINT_BYTES, GroupError
from tally.model import VoteCounts
from tally.rules import Rules
from tally.scoring import publish, vote_score

FORMAT = "ballot-box/1"
GROUP_NAME = "secp256k1"
#: The four ratings in slot order (A8.5).
RATINGS = ("excellent", "competent", "basically_competent", "incompetent")
SLOTS_PER_MEMBER = len(RATINGS)
SEED_BYTES = 32
#: Characters of a voter's tracker, from the slips' alphabet (5 bits each: 50 bits).
TRACKER_LENGTH = 10
TRACKER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_KEY_DOMAIN = b"ballot-box/1 slot key"
_PROOF_DOMAIN = b"ballot-box/1 decryption proof"


class BoxError(ValueError):
    """A box that does not verify; the message names what failed, for a person to read."""


# --- keys -----------------------------------------------------------------------------------


def new_seed() -> bytes:
    """A fresh evaluation key seed: the only secret of a box."""
    return secrets.token_bytes(SEED_BYTES)


def slot_secret(seed: bytes, slot: int) -> int:
    """x_k: SHA-512 of the seed and the slot number, reduced to a non-zero scalar."""
    digest = hashlib.sha512(_KEY_DOMAIN + seed + slot.to_bytes(4, "big")).digest()
    return int.from_bytes(digest, "big") % (ORDER - 1) + 1


def public_keys(seed: bytes, slots: int) -> bytes:
    """Y_0 .. Y_{slots-1}, concatenated (65 bytes each)."""
    return b"".join(group.encode(group.base_times(slot_secret(seed, k))) for k in range(slots))


def split_points(data: bytes) -> list[bytes]:
    if len(data) % POINT_BYTES:
        raise GroupError(f"{len(data)} bytes is not a whole number of points")
    return [data[i : i + POINT_BYTES] for i in range(0, len(data), POINT_BYTES)]


# --- ballots --------------------------------------------------------------------------------


def slot_values(ratings: Sequence[str | None]) -> list[int]:
    """A ballot's slots from its ratings in roster order (None: the member left blank)."""
    values: list[int] = []
    for rating in ratings:
        if rating is not None and rating not in RATINGS:
            raise ValueError(f"unknown rating {rating!r}")
        values.extend(1 if rating == name else 0 for name in RATINGS)
    return values


class Encryptor:
    """Encrypts ballots under an evaluation's public keys (parsed once, reused per ballot)."""

    def __init__(self, keys: bytes) -> None:
        self._keys = [group.point(k) for k in split_points(keys)]

    @property
    def slots(self) -> int:
        return len(self._keys)

    def encrypt(self, values: Sequence[int]) -> bytes:
        """A || B_0 .. B_{k-1} for slot values of 0 or 1, under fresh randomness."""
        if len(values) != len(self._keys):
            raise ValueError(f"{len(values)} slot values for {len(self._keys)} keys")
        r = group.random_scalar()
        parts = [group.encode(group.base_times(r))]
        for key, value in zip(self._keys, values, strict=True):
            if value not in (0, 1):
                raise ValueError("a slot holds 0 or 1")
            # The same two calls whatever the value: adding 0 x G costs what adding G costs.
            parts.append(group.encode(group.plus_base_times(group.times(key, r), value)))
        return b"".join(parts)


def tracker(ciphertext: bytes) -> str:
    """The voter's tracker: SHA-256 of the ciphertext in 10 characters, ``ABCDE-FGHJK``."""
    number = int.from_bytes(hashlib.sha256(ciphertext).digest(), "big")
    chars = []
    for _ in range(TRACKER_LENGTH):
        number, index = divmod(number, 32)
        chars.append(TRACKER_ALPHABET[index])
    code = "".join(chars)
    return f"{code[:5]}-{code[5:]}"


def normalize_tracker(typed: str) -> str | None:
    """What a person typed as a tracker, in the printed form, or None if it cannot be one."""
    value = "".join(ch for ch in typed.upper() if ch not in " -_.\t\n")
    if len(value) != TRACKER_LENGTH or any(ch not in TRACKER_ALPHABET for ch in value):
        return None
    return f"{value[:5]}-{value[5:]}"


# --- closing: sums, decryption, proofs ------------------------------------------------------


@dataclass(frozen=True)
class SlotResult:
    """One slot's decrypted count, the decryption share D_k and the proof (c, z)."""

    count: int
    share: bytes
    challenge: int
    response: int


@dataclass(frozen=True)
class Decryption:
    sum_a: bytes
    sum_b: tuple[bytes, ...]
    slots: tuple[SlotResult, ...]

    @property
    def counts(self) -> list[int]:
        return [s.count for s in self.slots]


def add_up(ciphertexts: Sequence[bytes], slots: int) -> tuple[bytes, list[bytes]]:
    """(A*, [B*_k]): the ballots summed slot by slot."""
    sums = group.column_sums(ciphertexts, slots + 1)
    return sums[0], sums[1:]


def _challenge(context: bytes, slot: int, key: bytes, sum_a: bytes, sum_b: bytes, share: bytes,
               commit_g: bytes, commit_a: bytes) -> int:
    digest = hashlib.sha256(
        _PROOF_DOMAIN + context + slot.to_bytes(4, "big") + key + sum_a + sum_b + share
        + commit_g + commit_a
    ).digest()
    return int.from_bytes(digest, "big") % ORDER


class _Counts:
    """n -> n G for n = 1 .. most, to read a decrypted count off its point."""

    def __init__(self, most: int) -> None:
        self._by_point: dict[bytes, int] = {}
        if most < 1:
            return
        current = group.base_times(1)
        self._by_point[group.encode(current)] = 1
        for n in range(2, most + 1):
            current = group.plus_base_times(current, 1)
            self._by_point[group.encode(current)] = n

    def count(self, encoded: bytes) -> int | None:
        return self._by_point.get(encoded)


def decrypt_sums(seed: bytes, keys: bytes, ciphertexts: Sequence[bytes], context: bytes
                 ) -> Decryption:
    """Add the ballots up, decrypt each slot's sum and prove it (the key is used for nothing
    else). ``context`` (the box header's digest) binds every proof to this box."""
    public = split_points(keys)
    sum_a, sum_b = add_up(ciphertexts, len(public))
    a_point = group.point(sum_a)
    counts = _Counts(len(ciphertexts))
    results = []
    for slot, (key, b_sum) in enumerate(zip(public, sum_b, strict=True)):
        secret = slot_secret(seed, slot)
        share_point = group.times(a_point, secret)
        share = group.encode(share_point)
        message = group.minus(group.point(b_sum), share_point)
        found = 0 if message is None else counts.count(group.encode(message))
        if found is None:
            raise BoxError(f"slot {slot}: the sum does not decrypt to a count of at most "
                           f"{len(ciphertexts)} ballots")
        nonce = group.random_scalar()
        commit_g = group.encode(group.base_times(nonce))
        commit_a = group.encode(group.times(a_point, nonce))
        challenge = _challenge(context, slot, key, sum_a, b_sum, share, commit_g, commit_a)
        response = (nonce + challenge * secret) % ORDER
        results.append(SlotResult(found, share, challenge, response))
    return Decryption(sum_a, tuple(sum_b), tuple(results))


def check_proof(context: bytes, slot: int, key: bytes, sum_a: bytes, sum_b: bytes,
                share: bytes, challenge: int, response: int) -> bool:
    """Chaum-Pedersen: z G = a + c Y and z A* = b + c D, with a and b recomputed from (c, z)."""
    if not (0 <= challenge < ORDER and 0 < response < ORDER):
        return False
    y, a_point, d = group.point(key), group.point(sum_a), group.point(share)
    minus_c = ORDER - challenge if challenge else 0
    if minus_c == 0:
        commit_g, commit_a = group.base_times(response), group.times(a_point, response)
    else:
        commit_g = group.add([group.base_times(response), group.times(y, minus_c)])
        commit_a = group.add([group.times(a_point, response), group.times(d, minus_c)])
    expected = _challenge(context, slot, key, sum_a, sum_b, share, group.encode(commit_g),
                          group.encode(commit_a))
    return expected == challenge


# --- the published box ------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise BoxError(f"{what}: expected a base64 string")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise BoxError(f"{what}: not valid base64") from None


def canonical(document: Mapping[str, Any]) -> bytes:
    """The one byte form of a box document (sorted keys, no spaces, UTF-8): what is hashed."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def header_digest(header: Mapping[str, Any]) -> bytes:
    """The proofs' context: SHA-256 of the canonical header."""
    return hashlib.sha256(canonical(header)).digest()


def member_tally(counts: Sequence[int], valid_ballots: int, rules: Rules) -> list[dict[str, Any]]:
    """Per member: the four counts, abstentions and the published vote score (A8.5, A8.6)."""
    rows = []
    for index in range(len(counts) // SLOTS_PER_MEMBER):
        c = counts[index * SLOTS_PER_MEMBER : (index + 1) * SLOTS_PER_MEMBER]
        votes = VoteCounts(excellent=c[0], competent=c[1], basically_competent=c[2],
                           incompetent=c[3])
        score = vote_score(votes, rules)
        rows.append({
            **dict(zip(RATINGS, c, strict=True)),
            "abstained": valid_ballots - votes.valid,
            "score": None if score is None else str(publish(score, rules)),
        })
    return rows


def result_section(decryption: Decryption, valid_ballots: int, invalid_ballots: int,
                   rules: Rules) -> dict[str, Any]:
    """The part of the box written at close: sums, shares, proofs, counts and scores."""
    return {
        "valid_ballots": valid_ballots,
        "invalid_ballots": invalid_ballots,
        "sum": {"a": b64(decryption.sum_a), "b": [b64(b) for b in decryption.sum_b]},
        "slots": [
            {"count": s.count, "share": b64(s.share),
             "proof": {"c": format(s.challenge, "064x"), "z": format(s.response, "064x")}}
            for s in decryption.slots
        ],
        "tally": member_tally(decryption.counts, valid_ballots, rules),
    }


def box_document(header: Mapping[str, Any], ciphertexts: Iterable[bytes],
                 result: Mapping[str, Any]) -> dict[str, Any]:
    """The whole box: header, every valid ballot's ciphertext ordered by tracker (an order
    that owes nothing to the order of casting), and the result."""
    ballots = sorted(({"tracker": tracker(c), "ciphertext": b64(c)} for c in ciphertexts),
                     key=lambda b: (b["tracker"], b["ciphertext"]))
    return {"format": FORMAT, "header": dict(header), "ballots": ballots, "result": dict(result)}


# --- verifying a box ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberCount:
    name: str
    counts: tuple[int, int, int, int]
    abstained: int
    score: Decimal | None


@dataclass(frozen=True)
class Verified:
    """What a verified box says: the digest of the file and the recounted tally."""

    digest: str
    county: str
    year: int
    kind: str
    valid_ballots: int
    invalid_ballots: int
    members: tuple[MemberCount, ...]


def _field(mapping: object, key: str, what: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise BoxError(f"{what}: missing '{key}'")
    return mapping[key]


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BoxError(f"{what}: expected a whole number, got {value!r}")
    return value


def _scalar(text: object, what: str) -> int:
    if not isinstance(text, str) or len(text) != 64:
        raise BoxError(f"{what}: expected 64 hex digits")
    try:
        return int(text, 16)
    except ValueError:
        raise BoxError(f"{what}: expected 64 hex digits") from None


def verify_box(data: bytes) -> Verified:
    """Recount a published box: parse it, recompute the sums from the ciphertexts, check every
    proof and every count, recompute the vote scores. BoxError names the first thing that fails.
    """
    digest = hashlib.sha256(data).hexdigest()
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BoxError(f"not a JSON box file: {error}") from None
    if _field(document, "format", "box") != FORMAT:
        raise BoxError(f"box: format is {document.get('format')!r}, expected {FORMAT!r}")
    header = _field(document, "header", "box")
    if _field(header, "group", "header") != GROUP_NAME:
        raise BoxError(f"header: group is {header.get('group')!r}, expected {GROUP_NAME!r}")
    members = _field(header, "members", "header")
    if not isinstance(members, list) or not members:
        raise BoxError("header: members must be a non-empty list")
    names = [str(_field(m, "name", f"header member {i + 1}")) for i, m in enumerate(members)]
    slots = len(members) * SLOTS_PER_MEMBER
    keys_list = _field(header, "public_keys", "header")
    if not isinstance(keys_list, list) or len(keys_list) != slots:
        raise BoxError(f"header: expected {slots} public keys (4 per member)")
    keys = [unb64(k, f"public key {i}") for i, k in enumerate(keys_list)]
    for i, key in enumerate(keys):
        try:
            group.point(key)
        except GroupError as error:
            raise BoxError(f"public key {i}: {error}") from None
    decimals = _whole(_field(header, "decimals", "header"), "header decimals")
    try:
        rules = Rules(decimals=decimals)
    except (ValueError, TypeError) as error:
        raise BoxError(f"header decimals: {error}") from None
    context = header_digest(header)

    ballots = _field(document, "ballots", "box")
    if not isinstance(ballots, list):
        raise BoxError("ballots: expected a list")
    ciphertexts = []
    for i, ballot in enumerate(ballots):
        ciphertext = unb64(_field(ballot, "ciphertext", f"ballot {i + 1}"), f"ballot {i + 1}")
        if len(ciphertext) != (slots + 1) * POINT_BYTES:
            raise BoxError(f"ballot {i + 1}: {len(ciphertext)} bytes, expected "
                           f"{(slots + 1) * POINT_BYTES}")
        if _field(ballot, "tracker", f"ballot {i + 1}") != tracker(ciphertext):
            raise BoxError(f"ballot {i + 1}: tracker {ballot['tracker']!r} is not its "
                           "ciphertext's")
        ciphertexts.append(ciphertext)

    result = _field(document, "result", "box")
    valid = _whole(_field(result, "valid_ballots", "result"), "result valid_ballots")
    invalid = _whole(_field(result, "invalid_ballots", "result"), "result invalid_ballots")
    if valid != len(ciphertexts):
        raise BoxError(f"result: valid_ballots is {valid}, but the box holds "
                       f"{len(ciphertexts)} ballots")
    slot_entries = _field(result, "slots", "result")
    if not isinstance(slot_entries, list) or len(slot_entries) != slots:
        raise BoxError(f"result: expected {slots} slots")
    stated = _field(result, "sum", "result")
    stated_b = _field(stated, "b", "result sum")
    if not isinstance(stated_b, list) or len(stated_b) != slots:
        raise BoxError(f"result sum: expected {slots} sums")

    counts = []
    if ciphertexts:
        try:
            sum_a, sum_b = add_up(ciphertexts, slots)
        except GroupError as error:
            raise BoxError(f"ballots: {error}") from None
        if unb64(_field(stated, "a", "result sum"), "result sum a") != sum_a:
            raise BoxError("result sum a: not the sum of the ballots' first points")
        for k, entry in enumerate(slot_entries):
            where = f"slot {k} ({names[k // SLOTS_PER_MEMBER]}, {RATINGS[k % SLOTS_PER_MEMBER]})"
            if unb64(stated_b[k], f"result sum b {k}") != sum_b[k]:
                raise BoxError(f"{where}: the stated sum is not the sum of the ballots")
            count = _whole(_field(entry, "count", where), f"{where} count")
            share = unb64(_field(entry, "share", where), f"{where} share")
            proof = _field(entry, "proof", where)
            challenge = _scalar(_field(proof, "c", f"{where} proof"), f"{where} proof c")
            response = _scalar(_field(proof, "z", f"{where} proof"), f"{where} proof z")
            try:
                share_point = group.point(share)
                message = group.minus(group.point(sum_b[k]), share_point)
                expected = None if count == 0 else group.encode(group.base_times(count))
                if count > len(ciphertexts) or (
                    (message is None) != (expected is None)
                    or (message is not None and group.encode(message) != expected)
                ):
                    raise BoxError(f"{where}: the count {count} is not what the sum decrypts to")
                proved = check_proof(context, k, keys[k], sum_a, sum_b[k], share, challenge,
                                     response)
            except GroupError as error:
                raise BoxError(f"{where}: {error}") from None
            if not proved:
                raise BoxError(f"{where}: the proof of correct decryption fails")
            counts.append(count)
    else:
        for k, entry in enumerate(slot_entries):
            if _field(entry, "count", f"slot {k}") != 0:
                raise BoxError(f"slot {k}: an empty box must count 0")
            counts.append(0)

    computed = member_tally(counts, valid, rules)
    stated_tally = _field(result, "tally", "result")
    if stated_tally != computed:
        for i, (stated_row, row) in enumerate(zip(stated_tally or [], computed, strict=False)):
            if stated_row != row:
                raise BoxError(f"tally of {names[i]}: the box says {stated_row}, the recount "
                               f"gives {row}")
        raise BoxError("tally: does not match the recount")
    return Verified(
        digest=digest,
        county=str(header.get("county", "")),
        year=_whole(header.get("year", 0), "header year"),
        kind=str(header.get("kind", "")),
        valid_ballots=valid,
        invalid_ballots=invalid,
        members=tuple(
            MemberCount(names[i], (row["excellent"], row["competent"],
                                   row["basically_competent"], row["incompetent"]),
                        row["abstained"],
                        None if row["score"] is None else Decimal(row["score"]))
            for i, row in enumerate(computed)
        ),
    )


def make_header(*, evaluation: int, county: str, year: int, kind: str,
                members: Sequence[Mapping[str, Any]], keys: bytes, decimals: int,
                excellent_cap: int | None) -> dict[str, Any]:
    """The box's header: what was voted on, and the public keys (written at open)."""
    return {
        "group": GROUP_NAME,
        "evaluation": evaluation,
        "county": county,
        "year": year,
        "kind": kind,
        "ratings": list(RATINGS),
        "members": [dict(m) for m in members],
        "public_keys": [b64(k) for k in split_points(keys)],
        "decimals": decimals,
        "excellent_cap": excellent_cap,
    }
