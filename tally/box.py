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


class BoxFileError(BoxError):
    """Bytes that are not a JSON document at all (not UTF-8, or not JSON): a wrong file rather
    than a box that fails. ``detail`` says which, in the CLI's words ("is not UTF-8 text")."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"the file {detail}")
        self.detail = detail


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
    """The decrypted sums of a box of ``slot_count`` slots.

    A box with no ballot has nothing to add up and nothing to prove: its sums would be the
    point at infinity, which has no encoding, so ``sum_a`` is None, ``sum_b`` and ``slots`` are
    empty and every count is 0.
    """

    sum_a: bytes | None
    sum_b: tuple[bytes, ...]
    slots: tuple[SlotResult, ...]
    slot_count: int

    @property
    def counts(self) -> list[int]:
        if self.sum_a is None:
            return [0] * self.slot_count
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
    else). ``context`` (the box header's digest) binds every proof to this box.

    BoxError if the seed is not the one the keys were made from. No ciphertexts (an evaluation
    closed without a valid ballot): every count 0, no sums, no proofs."""
    public = split_points(keys)
    secrets_ = [slot_secret(seed, slot) for slot in range(len(public))]
    for slot, (key, secret) in enumerate(zip(public, secrets_, strict=True)):
        if group.encode(group.base_times(secret)) != key:
            raise BoxError(f"slot {slot}: the key seed does not give this box's public key")
    if not ciphertexts:
        return Decryption(None, (), (), len(public))
    sum_a, sum_b = add_up(ciphertexts, len(public))
    a_point = group.point(sum_a)
    counts = _Counts(len(ciphertexts))
    results = []
    for slot, (key, b_sum, secret) in enumerate(zip(public, sum_b, secrets_, strict=True)):
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
    return Decryption(sum_a, tuple(sum_b), tuple(results), len(public))


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
    """Standard base64 with padding, in its one encoding: text that decodes but is not what
    encoding the bytes gives back (unused low bits set) is refused, so a box has one byte form.
    """
    if not isinstance(text, str):
        raise BoxError(f"{what}: expected a base64 string")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise BoxError(f"{what}: not valid base64") from None
    if b64(data) != text:
        raise BoxError(f"{what}: not the canonical base64 of its bytes")
    return data


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
    """The part of the box written at close: sums, shares, proofs, counts and scores. A box
    with no ballot has ``"sum": null`` and, in every slot, count 0 with a null share and proof.
    """
    slots: list[dict[str, Any]]
    if decryption.sum_a is None:
        sums = None
        slots = [{"count": 0, "share": None, "proof": None}
                 for _ in range(decryption.slot_count)]
    else:
        sums = {"a": b64(decryption.sum_a), "b": [b64(b) for b in decryption.sum_b]}
        slots = [
            {"count": s.count, "share": b64(s.share),
             "proof": {"c": format(s.challenge, "064x"), "z": format(s.response, "064x")}}
            for s in decryption.slots
        ]
    return {
        "valid_ballots": valid_ballots,
        "invalid_ballots": invalid_ballots,
        "sum": sums,
        "slots": slots,
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

_TOP_KEYS = frozenset({"format", "header", "ballots", "result"})
_HEADER_KEYS = frozenset({"group", "evaluation", "county", "year", "kind", "ratings", "members",
                          "public_keys", "decimals", "excellent_cap"})
_RESULT_KEYS = frozenset({"valid_ballots", "invalid_ballots", "sum", "slots", "tally"})
_HEX_DIGITS = frozenset("0123456789abcdef")


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

    @property
    def counts(self) -> list[int]:
        """The 4m slot counts in slot order (what ``Decryption.counts`` gave at close)."""
        return [count for member in self.members for count in member.counts]


def _field(mapping: object, key: str, what: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise BoxError(f"{what}: missing '{key}'")
    return mapping[key]


def _object(value: object, keys: frozenset[str], what: str) -> dict[str, Any]:
    """A JSON object with exactly these keys: nothing unverified rides along inside the digest."""
    if not isinstance(value, dict):
        raise BoxError(f"{what}: expected an object")
    missing = sorted(keys - value.keys())
    if missing:
        raise BoxError(f"{what}: missing '{missing[0]}'")
    unknown = sorted(value.keys() - keys)
    if unknown:
        raise BoxError(f"{what}: unknown key '{unknown[0]}'")
    return value


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BoxError(f"{what}: expected a whole number, got {value!r}")
    return value


def _string(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise BoxError(f"{what}: expected a string, got {value!r}")
    return value


def _scalar(text: object, what: str) -> int:
    if not isinstance(text, str) or len(text) != 64 or not _HEX_DIGITS.issuperset(text):
        raise BoxError(f"{what}: expected 64 lower-case hex digits")
    return int(text, 16)


def _parse(data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BoxFileError("is not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise BoxFileError(f"is not valid JSON: {error.msg} at line {error.lineno} column "
                           f"{error.colno}") from None
    except RecursionError:
        raise BoxFileError("is not valid JSON: nested too deeply") from None
    except ValueError:  # valid JSON, but Python refuses to read a number of over 4,300 digits
        raise BoxError("box: a number too long to read (no box holds one)") from None


def _is_canonical(document: Mapping[str, Any], data: bytes) -> bool:
    try:
        return canonical(document) == data
    except (ValueError, RecursionError):  # a lone surrogate has no UTF-8 form
        return False


def _point(encoded: bytes, what: str) -> None:
    try:
        group.point(encoded)
    except GroupError as error:
        raise BoxError(f"{what}: {error}") from None


def verify_box(data: bytes) -> Verified:
    """Recount a published box: parse it, recompute the sums from the ciphertexts, check every
    proof and every count, recompute the vote scores. BoxError names the first thing that fails
    (BoxFileError: the bytes are not UTF-8 JSON at all). docs/box-format.md is the rulebook.
    """
    digest = hashlib.sha256(data).hexdigest()
    document = _parse(data)
    if not isinstance(document, dict):
        raise BoxError("box: expected a JSON object")
    if document.get("format") != FORMAT:
        raise BoxError(f"box: format is {document.get('format')!r}, expected {FORMAT!r}")
    if not _is_canonical(document, data):
        raise BoxError("the file is not in canonical form (sorted keys, no spaces, UTF-8; "
                       "docs/box-format.md), so its digest is not the box's")
    _object(document, _TOP_KEYS, "box")

    # The header: what was voted on, and the keys.
    header = _object(document["header"], _HEADER_KEYS, "header")
    if header["group"] != GROUP_NAME:
        raise BoxError(f"header: group is {header['group']!r}, expected {GROUP_NAME!r}")
    if header["ratings"] != list(RATINGS):
        raise BoxError(f"header: ratings must be {list(RATINGS)}")
    _whole(header["evaluation"], "header evaluation")
    county = _string(header["county"], "header county")
    year = _whole(header["year"], "header year")
    kind = _string(header["kind"], "header kind")
    members = header["members"]
    if not isinstance(members, list) or not members:
        raise BoxError("header: members must be a non-empty list")
    names = [_string(_field(m, "name", f"header member {i + 1}"), f"header member {i + 1} name")
             for i, m in enumerate(members)]
    slots = len(members) * SLOTS_PER_MEMBER
    keys_list = header["public_keys"]
    if not isinstance(keys_list, list) or len(keys_list) != slots:
        raise BoxError(f"header: expected {slots} public keys (4 per member)")
    keys = [unb64(k, f"public key {i}") for i, k in enumerate(keys_list)]
    first_use: dict[bytes, int] = {}
    for i, key in enumerate(keys):
        _point(key, f"public key {i}")
        if key in first_use:
            raise BoxError(f"public key {i}: the same as public key {first_use[key]} (a ballot "
                           "shares its randomness across slots, so every key must differ)")
        first_use[key] = i
    decimals = _whole(header["decimals"], "header decimals")
    try:
        rules = Rules(decimals=decimals)
    except (ValueError, TypeError) as error:
        raise BoxError(f"header decimals: {error}") from None
    cap = header["excellent_cap"]
    if cap is not None:
        cap = _whole(cap, "header excellent_cap")
    context = header_digest(header)

    # The ballots: well formed, each with its own tracker, in tracker order, no two alike.
    ballots = document["ballots"]
    if not isinstance(ballots, list):
        raise BoxError("ballots: expected a list")
    ciphertexts = []
    seen: dict[str, int] = {}
    previous: tuple[str, str] | None = None
    expected_bytes = (slots + 1) * POINT_BYTES
    for i, ballot in enumerate(ballots, start=1):
        entry = _object(ballot, frozenset({"tracker", "ciphertext"}), f"ballot {i}")
        text = entry["ciphertext"]
        ciphertext = unb64(text, f"ballot {i} ciphertext")
        if len(ciphertext) != expected_bytes:
            raise BoxError(f"ballot {i}: {len(ciphertext)} bytes, expected {expected_bytes}")
        if entry["tracker"] != tracker(ciphertext):
            raise BoxError(f"ballot {i}: tracker {entry['tracker']!r} is not its ciphertext's")
        if text in seen:
            raise BoxError(f"ballot {i}: the same ciphertext as ballot {seen[text]} (a ballot "
                           "counted twice)")
        seen[text] = i
        place = (entry["tracker"], text)
        if previous is not None and place < previous:
            raise BoxError(f"ballot {i}: out of order (ballots are sorted by tracker, then "
                           "ciphertext)")
        previous = place
        ciphertexts.append(ciphertext)
    count_of_ballots = len(ciphertexts)

    # The result: sums, shares, proofs, counts.
    result = _object(document["result"], _RESULT_KEYS, "result")
    valid = _whole(result["valid_ballots"], "result valid_ballots")
    invalid = _whole(result["invalid_ballots"], "result invalid_ballots")
    if valid != count_of_ballots:
        raise BoxError(f"result: valid_ballots is {valid}, but the box holds "
                       f"{count_of_ballots} ballots")
    slot_entries = result["slots"]
    if not isinstance(slot_entries, list) or len(slot_entries) != slots:
        raise BoxError(f"result: expected {slots} slots")
    entries = [_object(e, frozenset({"count", "share", "proof"}), f"slot {k}")
               for k, e in enumerate(slot_entries)]

    def where(k: int) -> str:
        return f"slot {k} ({names[k // SLOTS_PER_MEMBER]}, {RATINGS[k % SLOTS_PER_MEMBER]})"

    counts = []
    if not ciphertexts:
        if result["sum"] is not None:
            raise BoxError("result sum: must be null in a box with no ballots")
        for k, entry in enumerate(entries):
            if (_whole(entry["count"], f"{where(k)} count") != 0 or entry["share"] is not None
                    or entry["proof"] is not None):
                raise BoxError(f"{where(k)}: a box with no ballots has count 0, no share and "
                               "no proof")
            counts.append(0)
    else:
        stated = _object(result["sum"], frozenset({"a", "b"}), "result sum")
        stated_b = stated["b"]
        if not isinstance(stated_b, list) or len(stated_b) != slots:
            raise BoxError(f"result sum: expected {slots} sums b")
        try:
            sum_a, sum_b = add_up(ciphertexts, slots)
        except GroupError as error:
            message = str(error)
            if message.startswith("row "):  # column_sums numbers rows as the box does ballots
                message = "ballot " + message.removeprefix("row ")
            raise BoxError(f"ballots: {message}") from None
        if unb64(stated["a"], "result sum a") != sum_a:
            raise BoxError("result sum a: not the sum of the ballots' first points A")
        failed: list[int] = []
        for k, entry in enumerate(entries):
            if unb64(stated_b[k], f"result sum b {k}") != sum_b[k]:
                raise BoxError(f"{where(k)}: the stated sum b is not the sum of the ballots")
            count = _whole(entry["count"], f"{where(k)} count")
            if count > count_of_ballots:
                raise BoxError(f"{where(k)}: count {count} is more than the {count_of_ballots} "
                               "ballots")
            share = unb64(entry["share"], f"{where(k)} share")
            proof = _object(entry["proof"], frozenset({"c", "z"}), f"{where(k)} proof")
            challenge = _scalar(proof["c"], f"{where(k)} proof c")
            response = _scalar(proof["z"], f"{where(k)} proof z")
            try:
                share_point = group.point(share)
                message_point = group.minus(group.point(sum_b[k]), share_point)
                found = None if message_point is None else group.encode(message_point)
                expected = None if count == 0 else group.encode(group.base_times(count))
                if found != expected:
                    raise BoxError(f"{where(k)}: count {count} does not match the sum and the "
                                   f"decryption share (B* - D is not {count} G)")
                proved = check_proof(context, k, keys[k], sum_a, sum_b[k], share, challenge,
                                     response)
            except GroupError as error:
                raise BoxError(f"{where(k)} share: {error}") from None
            if not proved:
                failed.append(k)
            counts.append(count)
        if failed and len(failed) == slots:
            raise BoxError("header: every decryption proof fails, so the proofs were made for "
                           "another header (they are bound to its digest)")
        if failed:
            raise BoxError(f"{where(failed[0])}: the proof of correct decryption fails")

    # What the counts can be checked against without range proofs.
    for i, name in enumerate(names):
        given = sum(counts[i * SLOTS_PER_MEMBER : (i + 1) * SLOTS_PER_MEMBER])
        if given > valid:
            raise BoxError(f"tally of {name}: {given} ratings from {valid} ballots (a ciphertext "
                           "holds more than one rating for a member)")
    if cap is not None:
        excellent = sum(counts[0::SLOTS_PER_MEMBER])
        if excellent > cap * valid:
            raise BoxError(f"tally: {excellent} Excellent ratings from {valid} ballots of at most "
                           f"{cap} each")

    computed = member_tally(counts, valid, rules)
    stated_tally = result["tally"]
    if not isinstance(stated_tally, list) or len(stated_tally) != len(computed):
        raise BoxError(f"result tally: expected a list of {len(computed)} members")
    for i, (stated_row, row) in enumerate(zip(stated_tally, computed, strict=True)):
        # Compared in canonical form: JSON's true and 1.0 equal 1 in Python, yet would give the
        # same box other bytes and another digest.
        if not isinstance(stated_row, dict) or canonical(stated_row) != canonical(row):
            raise BoxError(f"tally of {names[i]}: the box says {stated_row}, the recount gives "
                           f"{row}")
    return Verified(
        digest=digest,
        county=county,
        year=year,
        kind=kind,
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
