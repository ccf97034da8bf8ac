"""The encrypted ballot box: round trips, every kind of tampering named, keys, trackers, the
`tally verify-box` CLI, and a box of 10,000 ballots x 30 members."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tally import box, group
from tally.box import BoxError, verify_box
from tally.cli import main
from tally.group import ORDER
from tally.rules import Rules
from tests.support import bigbox

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = ["张明远", "周立新", "杨海燕"]

Roster = Sequence[str | None]


@dataclass
class Made:
    data: bytes
    seed: bytes
    keys: bytes
    header: dict[str, Any]
    ciphertexts: list[bytes]

    def document(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.data)
        return loaded


def make(ballots: Sequence[Roster], members: Sequence[str] = MEMBERS, *, invalid: int = 0,
         cap: int | None = None, decimals: int = 2, seed: bytes | None = None,
         values: Sequence[Sequence[int]] | None = None) -> Made:
    """A box closed the way the product closes one: encrypt, decrypt the sums, write it."""
    seed = box.new_seed() if seed is None else seed
    keys = box.public_keys(seed, len(members) * box.SLOTS_PER_MEMBER)
    header = box.make_header(evaluation=7, county="武都区", year=2026, kind="democratic",
                             members=[{"name": name} for name in members], keys=keys,
                             decimals=decimals, excellent_cap=cap)
    encryptor = box.Encryptor(keys)
    rows = [box.slot_values(b) for b in ballots] if values is None else values
    ciphertexts = [encryptor.encrypt(row) for row in rows]
    decryption = box.decrypt_sums(seed, keys, ciphertexts, box.header_digest(header))
    result = box.result_section(decryption, len(ciphertexts), invalid, Rules(decimals=decimals))
    data = box.canonical(box.box_document(header, ciphertexts, result))
    return Made(data, seed, keys, header, ciphertexts)


def truth(ballots: Sequence[Roster], members: int) -> list[tuple[int, int, int, int]]:
    """The four counts per member, counted from the plaintext ballots."""
    rows = []
    for i in range(members):
        e, c, b, n = (sum(1 for ballot in ballots if ballot[i] == r) for r in box.RATINGS)
        rows.append((e, c, b, n))
    return rows


# --- round trips ------------------------------------------------------------------------------

ROSTERS: list[tuple[list[str], Sequence[Roster]]] = [
    (["张明远"], [["excellent"]]),
    (MEMBERS, [["excellent", "competent", None], ["competent", None, None],
               ["excellent", "incompetent", "basically_competent"], [None, None, None]]),
    (MEMBERS, [[None, None, None], [None, None, None]]),
    (MEMBERS, [[rating, rating, None] for rating in box.RATINGS] * 3),
    ([f"成员{i}" for i in range(8)],
     [[box.RATINGS[(i + j) % 4] if (i * j) % 5 else None for i in range(8)] for j in range(12)]),
]


@pytest.mark.parametrize(("members", "ballots"), ROSTERS)
def test_round_trip_counts_the_plaintext(members: list[str], ballots: Sequence[Roster]) -> None:
    made = make(ballots, members, invalid=2)
    verified = verify_box(made.data)
    assert verified.digest == hashlib.sha256(made.data).hexdigest()
    assert (verified.county, verified.year, verified.kind) == ("武都区", 2026, "democratic")
    assert (verified.valid_ballots, verified.invalid_ballots) == (len(ballots), 2)
    assert [m.name for m in verified.members] == members
    assert [m.counts for m in verified.members] == truth(ballots, len(members))
    for member, index in zip(verified.members, range(len(members)), strict=True):
        blank = sum(1 for b in ballots if b[index] is None)
        assert member.abstained == blank
        assert (member.score is None) == (blank == len(ballots))


def test_scores_are_a85_rounded_half_up() -> None:
    # 张明远: E, C -> (1 + 0.8) / 2 = 90; 周立新: C, B, I -> (0.8 + 0.5) / 3 = 43.333..;
    # 杨海燕: B, B, B, E, I, I, I, I -> (1.5 + 1) / 8 = 31.25 -> 31.3 at 1 decimal (half up).
    ballots: list[Roster] = [
        ["excellent", "competent", "basically_competent"],
        ["competent", "basically_competent", "basically_competent"],
        [None, "incompetent", "basically_competent"],
        [None, None, "excellent"],
        *([[None, None, "incompetent"]] * 4),
    ]
    verified = verify_box(make(ballots, decimals=1).data)
    assert [str(m.score) for m in verified.members] == ["90.0", "43.3", "31.3"]
    tally = make(ballots, decimals=1).document()["result"]["tally"]
    assert [row["score"] for row in tally] == ["90.0", "43.3", "31.3"]


def test_an_empty_box_closes_and_verifies() -> None:
    seed = box.new_seed()
    keys = box.public_keys(seed, 12)
    decryption = box.decrypt_sums(seed, keys, [], b"context")
    assert decryption.counts == [0] * 12
    assert decryption.sum_a is None and decryption.slots == () and decryption.sum_b == ()
    made = make([], invalid=3)
    result = made.document()["result"]
    assert result["sum"] is None
    assert result["slots"] == [{"count": 0, "share": None, "proof": None}] * 12
    assert result["tally"][0] == {"excellent": 0, "competent": 0, "basically_competent": 0,
                                  "incompetent": 0, "abstained": 0, "score": None}
    verified = verify_box(made.data)
    assert (verified.valid_ballots, verified.invalid_ballots) == (0, 3)
    assert all(m.counts == (0, 0, 0, 0) and m.score is None for m in verified.members)


def test_an_empty_box_claiming_a_count_fails() -> None:
    document = make([]).document()
    document["result"]["slots"][5]["count"] = 1
    with pytest.raises(BoxError, match=r"^slot 5 \(周立新, competent\): a box with no ballots"):
        verify_box(box.canonical(document))
    document = make([]).document()
    document["result"]["sum"] = {"a": "", "b": []}
    with pytest.raises(BoxError, match="result sum: must be null in a box with no ballots"):
        verify_box(box.canonical(document))


def test_the_verified_counts_are_decryptions_counts() -> None:
    ballots: list[Roster] = [["excellent", None, "competent"], ["excellent", "competent", None]]
    made = make(ballots)
    decryption = box.decrypt_sums(made.seed, made.keys, made.ciphertexts,
                                  box.header_digest(made.header))
    assert verify_box(made.data).counts == decryption.counts == [
        2, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]


# --- tampering ----------------------------------------------------------------------------------

BALLOTS: list[Roster] = [
    ["excellent", "competent", None],
    ["competent", "competent", "incompetent"],
    ["excellent", None, "basically_competent"],
    [None, "excellent", "competent"],
]


@pytest.fixture(scope="module")
def sample() -> Made:
    return make(BALLOTS)


def reseal(document: dict[str, Any]) -> None:
    """What a careful forger does after editing ciphertexts: new trackers, the box's order."""
    for ballot in document["ballots"]:
        ballot["tracker"] = box.tracker(base64.b64decode(ballot["ciphertext"]))
    document["ballots"].sort(key=lambda b: (b["tracker"], b["ciphertext"]))


def raw(document: dict[str, Any], where: tuple[Any, ...]) -> bytearray:
    node: Any = document
    for key in where:
        node = node[key]
    return bytearray(base64.b64decode(node))


def put(document: dict[str, Any], where: tuple[Any, ...], data: bytes) -> None:
    node: Any = document
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = base64.b64encode(data).decode()


def point_plus_g(encoded: bytes | bytearray) -> bytes:
    return group.encode(group.plus_base_times(group.point(bytes(encoded)), 1))


def flip_inside_a_point(d: dict[str, Any], made: Made) -> None:
    data = raw(d, ("ballots", 1, "ciphertext"))
    data[2 * 65 + 10] ^= 0x40  # a byte of B_1's x coordinate
    put(d, ("ballots", 1, "ciphertext"), bytes(data))
    reseal(d)


def replace_a_ballot(d: dict[str, Any], made: Made) -> None:
    other = box.Encryptor(made.keys).encrypt(box.slot_values(["incompetent"] * 3))
    put(d, ("ballots", 0, "ciphertext"), other)
    reseal(d)


def drop_a_ballot(d: dict[str, Any], made: Made) -> None:
    del d["ballots"][2]


def drop_a_ballot_and_the_count(d: dict[str, Any], made: Made) -> None:
    del d["ballots"][2]
    d["result"]["valid_ballots"] -= 1


def duplicate_a_ballot(d: dict[str, Any], made: Made) -> None:
    d["ballots"].append(dict(d["ballots"][1]))
    d["result"]["valid_ballots"] += 1
    reseal(d)


def reorder(d: dict[str, Any], made: Made) -> None:
    d["ballots"].reverse()


def change_a_count(d: dict[str, Any], made: Made) -> None:
    d["result"]["slots"][0]["count"] += 1


def count_beyond_the_ballots(d: dict[str, Any], made: Made) -> None:
    d["result"]["slots"][0]["count"] = ORDER


def change_a_share(d: dict[str, Any], made: Made) -> None:
    put(d, ("result", "slots", 4, "share"), point_plus_g(raw(d, ("result", "slots", 4, "share"))))


def share_not_a_point(d: dict[str, Any], made: Made) -> None:
    share = raw(d, ("result", "slots", 4, "share"))
    share[40] ^= 1
    put(d, ("result", "slots", 4, "share"), bytes(share))


def forge_count_and_share(d: dict[str, Any], made: Made) -> None:
    """count + 1 with the share that makes it decrypt so: only the proof can catch it."""
    slot = d["result"]["slots"][6]
    slot["count"] += 1
    share = group.point(bytes(raw(d, ("result", "slots", 6, "share"))))
    forged = group.add([share, group.base_times(ORDER - 1)])
    put(d, ("result", "slots", 6, "share"), group.encode(forged))


def change_proof_c(d: dict[str, Any], made: Made) -> None:
    proof = d["result"]["slots"][3]["proof"]
    proof["c"] = format((int(proof["c"], 16) + 1) % ORDER, "064x")


def change_proof_z(d: dict[str, Any], made: Made) -> None:
    proof = d["result"]["slots"][9]["proof"]
    proof["z"] = format((int(proof["z"], 16) + 1) % ORDER, "064x")


def upper_case_proof(d: dict[str, Any], made: Made) -> None:
    proof = d["result"]["slots"][9]["proof"]
    proof["z"] = proof["z"].upper() if proof["z"] != proof["z"].upper() else "G" * 64


def change_a_sum(d: dict[str, Any], made: Made) -> None:
    put(d, ("result", "sum", "b", 2), point_plus_g(raw(d, ("result", "sum", "b", 2))))


def change_sum_a(d: dict[str, Any], made: Made) -> None:
    put(d, ("result", "sum", "a"), point_plus_g(raw(d, ("result", "sum", "a"))))


def change_a_score(d: dict[str, Any], made: Made) -> None:
    d["result"]["tally"][1]["score"] = "99.00"


def change_abstentions(d: dict[str, Any], made: Made) -> None:
    d["result"]["tally"][2]["abstained"] += 1


def change_a_tracker(d: dict[str, Any], made: Made) -> None:
    ballot = d["ballots"][2]
    first = "3" if ballot["tracker"][0] == "2" else "2"
    ballot["tracker"] = first + ballot["tracker"][1:]


def change_a_public_key(d: dict[str, Any], made: Made) -> None:
    put(d, ("header", "public_keys", 5), point_plus_g(raw(d, ("header", "public_keys", 5))))


def public_key_not_a_point(d: dict[str, Any], made: Made) -> None:
    key = raw(d, ("header", "public_keys", 5))
    key[1] ^= 1
    put(d, ("header", "public_keys", 5), bytes(key))


def repeat_a_public_key(d: dict[str, Any], made: Made) -> None:
    d["header"]["public_keys"][7] = d["header"]["public_keys"][2]


def change_the_county(d: dict[str, Any], made: Made) -> None:
    d["header"]["county"] = "文县"


def change_a_name(d: dict[str, Any], made: Made) -> None:
    d["header"]["members"][0]["name"] = "张明"


def wrong_format(d: dict[str, Any], made: Made) -> None:
    d["format"] = "ballot-box/2"


def wrong_group(d: dict[str, Any], made: Made) -> None:
    d["header"]["group"] = "ed25519"


def reorder_ratings(d: dict[str, Any], made: Made) -> None:
    d["header"]["ratings"].reverse()


def unknown_key(d: dict[str, Any], made: Made) -> None:
    d["result"]["note"] = "官方结果"


def loose_base64(d: dict[str, Any], made: Made) -> None:
    """The same bytes in another base64 spelling (the unused low bits of the last digit set)."""
    text = d["ballots"][0]["ciphertext"]
    assert text.endswith("=")
    digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = text.rstrip("=")[-1]
    sibling = digits[digits.index(last) ^ 1]
    d["ballots"][0]["ciphertext"] = text.rstrip("=")[:-1] + sibling + "=" * text.count("=")
    assert base64.b64decode(d["ballots"][0]["ciphertext"]) == base64.b64decode(text)


def a_string_year(d: dict[str, Any], made: Made) -> None:
    d["header"]["year"] = "2026"


Tamper = Callable[[dict[str, Any], Made], None]

TAMPERS: list[tuple[Tamper, str]] = [
    (flip_inside_a_point, r"^ballots: ballot \d, point 3: not a point on secp256k1$"),
    (replace_a_ballot, r"^result sum a: not the sum of the ballots' first points A$"),
    (drop_a_ballot, r"^result: valid_ballots is 4, but the box holds 3 ballots$"),
    (drop_a_ballot_and_the_count, r"^result sum a: not the sum of the ballots' first points"),
    (duplicate_a_ballot, r"^ballot \d: the same ciphertext as ballot \d \(a ballot counted twice"),
    (reorder, r"^ballot 2: out of order \(ballots are sorted by tracker"),
    (change_a_count, r"^slot 0 \(张明远, excellent\): count 3 does not match the sum and the "
                     r"decryption share"),
    (count_beyond_the_ballots, r"^slot 0 \(张明远, excellent\): count \d+ is more than the 4 "),
    (change_a_share, r"^slot 4 \(周立新, excellent\): count 1 does not match the sum and the "
                     r"decryption share"),
    (share_not_a_point, r"^slot 4 \(周立新, excellent\) share: not a point on secp256k1$"),
    (forge_count_and_share, r"^slot 6 \(周立新, basically_competent\): the proof of correct "
                            r"decryption fails$"),
    (change_proof_c, r"^slot 3 \(张明远, incompetent\): the proof of correct decryption fails$"),
    (change_proof_z, r"^slot 9 \(杨海燕, competent\): the proof of correct decryption fails$"),
    (upper_case_proof, r"^slot 9 \(杨海燕, competent\) proof z: expected 64 lower-case hex"),
    (change_a_sum, r"^slot 2 \(张明远, basically_competent\): the stated sum b is not the sum"),
    (change_sum_a, r"^result sum a: not the sum of the ballots' first points A$"),
    (change_a_score, r"^tally of 周立新: the box says .*'score': '99.00'.*, the recount gives "),
    (change_abstentions, r"^tally of 杨海燕: the box says .*'abstained': 2"),
    (change_a_tracker, r"^ballot \d: tracker '\w{5}-\w{5}' is not its ciphertext's$"),
    (change_a_public_key, r"^header: every decryption proof fails, so the proofs were made for "
                          r"another header"),
    (public_key_not_a_point, r"^public key 5: not a point on secp256k1$"),
    (repeat_a_public_key, r"^public key 7: the same as public key 2 "),
    (change_the_county, r"^header: every decryption proof fails"),
    (change_a_name, r"^header: every decryption proof fails"),
    (wrong_format, r"^box: format is 'ballot-box/2', expected 'ballot-box/1'$"),
    (wrong_group, r"^header: group is 'ed25519', expected 'secp256k1'$"),
    (reorder_ratings, r"^header: ratings must be \['excellent', 'competent', "),
    (unknown_key, r"^result: unknown key 'note'$"),
    (loose_base64, r"^ballot 1 ciphertext: not the canonical base64 of its bytes$"),
    (a_string_year, r"^header year: expected a whole number, got '2026'$"),
]


@pytest.mark.parametrize(("tamper", "message"), TAMPERS, ids=[t.__name__ for t, _ in TAMPERS])
def test_tampering_is_named(sample: Made, tamper: Tamper, message: str) -> None:
    document = sample.document()
    tamper(document, sample)
    tampered = box.canonical(document)
    assert hashlib.sha256(tampered).digest() != hashlib.sha256(sample.data).digest()
    with pytest.raises(BoxError) as caught:
        verify_box(tampered)
    assert re.search(message, str(caught.value)), str(caught.value)


def test_every_proof_is_bound_to_the_header(sample: Made) -> None:
    """After changing the county, not one slot's proof holds (each hashes the header digest)."""
    document = sample.document()
    document["header"]["county"] = "文县"
    context = box.header_digest(document["header"])
    result = document["result"]
    a = base64.b64decode(result["sum"]["a"])
    for k, slot in enumerate(result["slots"]):
        args = (k, base64.b64decode(document["header"]["public_keys"][k]), a,
                base64.b64decode(result["sum"]["b"][k]), base64.b64decode(slot["share"]),
                int(slot["proof"]["c"], 16), int(slot["proof"]["z"], 16))
        assert box.check_proof(box.header_digest(sample.header), *args)
        assert not box.check_proof(context, *args)


def test_the_file_must_be_canonical(sample: Made) -> None:
    pretty = json.dumps(sample.document(), ensure_ascii=False, indent=1).encode()
    with pytest.raises(BoxError, match="not in canonical form"):
        verify_box(pretty)
    with pytest.raises(BoxError, match="not in canonical form"):
        verify_box(sample.data + b"\n")
    assert verify_box(sample.data).digest == hashlib.sha256(sample.data).hexdigest()


@pytest.mark.parametrize(("data", "message"), [
    (b"\xff\xfe", "the file is not UTF-8 text"),
    (b'{"format": ', "the file is not valid JSON: Expecting value at line 1 column 12"),
    (b"[" * 100_000, "the file is not valid JSON"),
])
def test_not_a_json_file(data: bytes, message: str) -> None:
    with pytest.raises(box.BoxFileError) as caught:
        verify_box(data)
    assert str(caught.value).startswith(message)


def test_a_number_python_will_not_read_is_a_box_error() -> None:
    data = b'{"format":"ballot-box/1","x":' + b"1" * 5000 + b"}"
    with pytest.raises(BoxError, match=r"^box: a number too long to read \(no box holds one\)$"):
        verify_box(data)


def test_a_server_that_encrypts_two_ratings_for_one_member_is_caught() -> None:
    """No range proofs, but a count the ballots cannot hold is still refused."""
    honest = box.slot_values(["competent", None, None])
    double = box.slot_values(["competent", None, None])
    double[0] = 1  # Excellent and Competent for 张明远 on one ballot
    made = make([], values=[honest, double])
    with pytest.raises(BoxError, match=r"^tally of 张明远: 3 ratings from 2 ballots"):
        verify_box(made.data)


def test_more_excellent_ratings_than_the_cap_allows_are_caught() -> None:
    ok = make([["excellent", "competent", None], ["excellent", None, None]], cap=1)
    verify_box(ok.data)
    over = make([["excellent", "excellent", None], ["excellent", None, None]], cap=1)
    with pytest.raises(BoxError, match=r"^tally: 3 Excellent ratings from 2 ballots of at most 1"):
        verify_box(over.data)


# --- keys ---------------------------------------------------------------------------------------


def test_keys_come_from_the_seed() -> None:
    one, two = box.new_seed(), box.new_seed()
    assert len(one) == 32 and one != two
    assert box.public_keys(one, 8) == box.public_keys(one, 8)
    assert box.public_keys(one, 8) != box.public_keys(two, 8)
    secrets_ = [box.slot_secret(one, k) for k in range(8)]
    assert len(set(secrets_)) == 8 and all(0 < x < ORDER for x in secrets_)
    assert secrets_ != [box.slot_secret(two, k) for k in range(8)]
    assert box.public_keys(one, 8)[65:130] == group.encode(group.base_times(secrets_[1]))


def test_another_seed_cannot_decrypt(sample: Made) -> None:
    with pytest.raises(BoxError, match="^slot 0: the key seed does not give this box's public"):
        box.decrypt_sums(box.new_seed(), sample.keys, sample.ciphertexts,
                         box.header_digest(sample.header))
    with pytest.raises(BoxError, match="key seed"):
        box.decrypt_sums(box.new_seed(), sample.keys, [], b"")


# --- trackers -----------------------------------------------------------------------------------


def test_tracker_form(sample: Made) -> None:
    for ciphertext in sample.ciphertexts:
        code = box.tracker(ciphertext)
        assert re.fullmatch(r"[23456789A-HJ-NP-Z]{5}-[23456789A-HJ-NP-Z]{5}", code)
        assert len(code.replace("-", "")) == box.TRACKER_LENGTH
        assert box.normalize_tracker(code) == code
        assert box.normalize_tracker(code.lower()) == code
        assert box.normalize_tracker(code.replace("-", "")) == code
        assert box.normalize_tracker(" " + code.lower().replace("-", " ") + "\n") == code
    assert box.normalize_tracker("ABCDE-FGHJ") is None
    assert box.normalize_tracker("ABCDE-FGHJKL") is None
    assert box.normalize_tracker("ABCDE-FGHJ0") is None  # 0, 1, I, O are not in the alphabet
    assert box.normalize_tracker("ABCDE-FGHJI") is None


def test_tracker_is_sha256_least_significant_digit_first() -> None:
    ciphertext = b"\x04" * 65
    number = int.from_bytes(hashlib.sha256(ciphertext).digest(), "big")
    digits = [box.TRACKER_ALPHABET[(number >> (5 * i)) & 31] for i in range(10)]
    assert box.tracker(ciphertext) == "".join(digits[:5]) + "-" + "".join(digits[5:])


def test_ballots_are_in_tracker_order(sample: Made) -> None:
    ballots = sample.document()["ballots"]
    keys = [(b["tracker"], b["ciphertext"]) for b in ballots]
    assert keys == sorted(keys)
    assert sorted(base64.b64decode(b["ciphertext"]) for b in ballots) == sorted(
        sample.ciphertexts)


# --- the fast generator, and the big box ---------------------------------------------------------


def test_the_fast_generator_makes_real_encryptions() -> None:
    made = bigbox.make_box(25, 3, seed=11)
    again = bigbox.make_box(25, 3, seed=11)
    assert (made.seed, made.keys, made.ciphertexts, made.counts) == (
        again.seed, again.keys, again.ciphertexts, again.counts)
    assert verify_box(made.data).counts == made.counts
    secrets_ = [box.slot_secret(made.seed, k) for k in range(12)]
    decrypted = [0] * 12
    for ciphertext in made.ciphertexts:
        points = box.split_points(ciphertext)
        a = group.point(points[0])
        for k, x in enumerate(secrets_):
            message = group.minus(group.point(points[k + 1]), group.times(a, x))
            assert message is None or group.encode(message) == group.encode(group.base_times(1))
            decrypted[k] += message is not None
    assert decrypted == made.counts
    empty = bigbox.make_box(0, 2, seed=1)
    assert empty.counts == [0] * 8 and verify_box(empty.data).valid_ballots == 0


def test_a_box_of_10000_ballots_by_30_members_verifies() -> None:
    cpu = time.process_time()
    made = bigbox.make_box(10_000, 30, seed=2026)
    data = made.data  # closed: sums decrypted, proofs made, the file written
    made_in = time.process_time() - cpu
    verified = verify_box(data)
    verified_in = time.process_time() - cpu - made_in
    assert verified.valid_ballots == len(made.ciphertexts) == 10_000
    assert len(verified.members) == 30
    assert verified.counts == made.counts
    assert verified.digest == hashlib.sha256(data).hexdigest()
    print(f"10,000 x 30: made and closed in {made_in:.1f} s CPU, verified in {verified_in:.1f} "
          f"s CPU, {len(data) / 1e6:.0f} MB")
    # CPU time, not wall time: the suite runs beside other work (about 10 s on this machine).
    assert made_in + verified_in < 60


# --- the CLI ------------------------------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tally", *args], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", check=False)


def test_cli_prints_the_digest_and_the_tally(sample: Made, tmp_path: Path) -> None:
    path = tmp_path / "box.json"
    path.write_bytes(sample.data)
    done = run("verify-box", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert f"SHA-256   {hashlib.sha256(sample.data).hexdigest()}" in lines
    for label, value in [("县(区)", "武都区"), ("年度", "2026"), ("类别", "民主测评 (democratic)"),
                         ("有效票", "4"), ("无效票", "0")]:
        assert any(line.startswith(label) and line.endswith(value) for line in lines), label
    heading = next(line for line in lines if line.startswith("姓名"))
    assert heading.split() == ["姓名", "优秀", "称职", "基本称职", "不称职", "弃权", "得分"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[lines.index(heading) + 1:]}
    # 张明远: E, C, E, blank -> (2 + 0.8) / 3 = 93.33
    assert rows == {"张明远": ["2", "1", "0", "0", "1", "93.33"],
                    "周立新": ["1", "2", "0", "0", "1", "86.67"],
                    "杨海燕": ["0", "1", "1", "1", "1", "43.33"]}
    ends = {len(line.encode("gbk")) for line in lines[lines.index(heading):]}
    assert len(ends) == 1  # aligned: every row ends at the same display column


def test_cli_json(sample: Made, tmp_path: Path) -> None:
    path = tmp_path / "box.json"
    path.write_bytes(sample.data)
    done = run("verify-box", str(path), "--json")
    assert done.returncode == 0, done.stderr
    recount = json.loads(done.stdout)
    assert recount["verified"] is True
    assert recount["digest"] == hashlib.sha256(sample.data).hexdigest()
    assert (recount["county"], recount["year"], recount["kind"]) == ("武都区", 2026, "democratic")
    assert (recount["valid_ballots"], recount["invalid_ballots"]) == (4, 0)
    assert recount["members"][0] == {"name": "张明远", "excellent": 2, "competent": 1,
                                     "basically_competent": 0, "incompetent": 0,
                                     "abstained": 1, "score": "93.33"}


def test_cli_empty_box(tmp_path: Path) -> None:
    path = tmp_path / "box.json"
    path.write_bytes(make([], invalid=1).data)
    done = run("verify-box", str(path), "--json")
    assert done.returncode == 0, done.stderr
    recount = json.loads(done.stdout)
    assert (recount["valid_ballots"], recount["invalid_ballots"]) == (0, 1)
    assert recount["members"][2]["score"] is None
    assert run("verify-box", str(path)).stdout.splitlines()[-1].split() == [
        "杨海燕", "0", "0", "0", "0", "0", "—"]


def test_cli_tampered_box_exits_1(sample: Made, tmp_path: Path) -> None:
    document = copy.deepcopy(sample.document())
    change_proof_c(document, sample)
    path = tmp_path / "box.json"
    path.write_bytes(box.canonical(document))
    done = run("verify-box", str(path))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == ("tally: the box does not verify: slot 3 (张明远, incompetent): the "
                           "proof of correct decryption fails\n")


@pytest.mark.parametrize(("content", "message"), [
    (None, "{path}: no such file"),
    (b"\xff\xfe{}", "{path}: is not UTF-8 text"),
    (b'{"format": "ballot-box/1",\n "header": }', "{path}: is not valid JSON: Expecting value at "
                                                   "line 2 column 12"),
])
def test_cli_bad_file_exits_2(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "box.json"
    if content is not None:
        path.write_bytes(content)
    done = run("verify-box", str(path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"tally: {message.format(path=path)}\n"


def test_cli_directory_and_usage(tmp_path: Path) -> None:
    done = run("verify-box", str(tmp_path))
    assert (done.returncode, done.stderr) == (2, f"tally: {tmp_path}: is a directory, not a file\n")
    done = run("verify-box")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "the following arguments are required: box" in done.stderr


def test_cli_in_process(sample: Made, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "box.json"
    path.write_bytes(sample.data)
    assert main(["verify-box", str(path)]) == 0
    assert capsys.readouterr().out.startswith("票箱验证通过")
    path.write_bytes(b"[]")
    assert main(["verify-box", str(path)]) == 1
    assert capsys.readouterr().err == "tally: the box does not verify: box: expected a JSON object\n"


def test_a_tally_with_true_or_1_0_for_a_count_does_not_verify():
    """JSON true and 1.0 equal 1 in Python: accepted, one box would have several digests."""
    import json as json_

    from tally.rules import Rules

    seed = box.new_seed()
    keys = box.public_keys(seed, 4)
    header = box.make_header(evaluation=1, county="县", year=2026, kind="democratic",
                             members=[{"id": 1, "name": "甲", "position": "副县长"}], keys=keys,
                             decimals=2, excellent_cap=None)
    ciphertexts = [box.Encryptor(keys).encrypt(box.slot_values(["excellent"]))]
    decryption = box.decrypt_sums(seed, keys, ciphertexts, box.header_digest(header))
    result = box.result_section(decryption, 1, 0, Rules(decimals=2))
    honest = box.canonical(box.box_document(header, ciphertexts, result))
    box.verify_box(honest)
    for forged in (True, 1.0):
        document = json_.loads(honest)
        document["result"]["tally"][0]["excellent"] = forged
        with pytest.raises(box.BoxError, match="tally of 甲"):
            box.verify_box(box.canonical(document))
