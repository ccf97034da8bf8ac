"""docs/box-format.md cannot drift: its independent verifier (coincurve only) is run against
boxes the product makes, honest and tampered, and its worked figures are recomputed."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tally import box, group
from tally.box import verify_box
from tests.support import bigbox
from tests.tally.test_box import TAMPERS, Made, make

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "box-format.md").read_text(encoding="utf-8")

#: What the sketch lets through, as the doc says: it does not check for unknown keys (a change
#: inside the header it still catches, by the proofs).
NOT_IN_THE_SKETCH = {"unknown_key"}


def sketch_code() -> str:
    section = DOC.split("## An independent verifier", 1)[1]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1
    code: str = blocks[0]
    return code


@pytest.fixture(scope="module")
def sketch() -> Callable[[bytes], list[int]]:
    code = sketch_code()
    imports = re.findall(r"^(?:import|from) (\S+)", code, flags=re.MULTILINE)
    assert imports == ["base64,", "fractions", "coincurve"], imports  # nothing of ours
    namespace: dict[str, Any] = {"__name__": "box_format_sketch"}
    exec(compile(code, "docs/box-format.md", "exec"), namespace)
    verify: Callable[[bytes], list[int]] = namespace["verify"]
    return verify


def test_the_sketch_is_short() -> None:
    assert len(sketch_code().splitlines()) <= 90


@pytest.mark.parametrize(("ballots", "members", "decimals"), [
    (40, 5, 2), (0, 3, 2), (1, 1, 2), (17, 2, 0), (23, 3, 1), (9, 2, 6), (200, 30, 2),
])
def test_the_sketch_recounts_what_the_product_made(
    sketch: Callable[[bytes], list[int]], ballots: int, members: int, decimals: int
) -> None:
    made = bigbox.make_box(ballots, members, seed=ballots * 100 + members, decimals=decimals)
    assert sketch(made.data) == made.counts == verify_box(made.data).counts


def test_the_sketch_checks_the_excellent_cap(sketch: Callable[[bytes], list[int]]) -> None:
    ok = make([["excellent", "competent", None], ["excellent", None, "basically_competent"]],
              cap=1)
    assert sketch(ok.data) == verify_box(ok.data).counts
    over = make([["excellent", "excellent", None], ["excellent", None, None]], cap=1)
    with pytest.raises(AssertionError, match="Excellent cap"):
        sketch(over.data)


@pytest.fixture(scope="module")
def sample() -> Made:
    return make([["excellent", "competent", None], ["competent", "competent", "incompetent"],
                 ["excellent", None, "basically_competent"], [None, "excellent", "competent"]])


@pytest.mark.parametrize(("tamper", "message"), TAMPERS, ids=[t.__name__ for t, _ in TAMPERS])
def test_the_sketch_refuses_what_the_product_refuses(
    sketch: Callable[[bytes], list[int]], sample: Made, tamper: Callable[..., None],
    message: str
) -> None:
    document = sample.document()
    tamper(document, sample)
    tampered = box.canonical(document)
    if tamper.__name__ in NOT_IN_THE_SKETCH:
        sketch(tampered)
        return
    with pytest.raises(Exception):  # noqa: B017 - any exception means: does not verify
        sketch(tampered)


def test_the_worked_example() -> None:
    made = make([["excellent"], [None]], ["张明远"])
    document = made.document()
    (row,) = document["result"]["tally"]
    assert f"`{box.canonical(row).decode()}`" in DOC
    ciphertext = made.ciphertexts[0]
    assert len(ciphertext) == 325 and len(box.b64(ciphertext)) == 436
    assert verify_box(made.data).members[0].counts == (1, 0, 0, 0)


def test_the_test_vectors() -> None:
    seed = bytes(32)
    assert f"x_0 =\n`{box.slot_secret(seed, 0):064x}`" in DOC
    assert f"`{box.b64(box.public_keys(seed, 1))}`" in DOC
    assert box.tracker(b"") == "P4G77-WF5TE"
    assert "the whole tracker is `P4G77-WF5TE`" in DOC
    assert hashlib.sha256(b"").hexdigest().startswith("e3b0c442")
    assert "`e3b0c442...7852b855`" in DOC
    assert box.TRACKER_ALPHABET in DOC and f"`{box.FORMAT}`" in DOC


def test_the_stated_sizes_and_strings() -> None:
    assert box._PROOF_DOMAIN == b"ballot-box/1 decryption proof" and len(box._PROOF_DOMAIN) == 29
    assert box._KEY_DOMAIN == b"ballot-box/1 slot key"
    assert 29 + 32 + 4 + 6 * 65 == 455 and "(455 bytes;" in DOC
    assert (4 * 30 + 1) * 65 == 7865 and "(7,865 bytes at 30 members)" in DOC
    assert f"n = `{group.ORDER:064X}`" in DOC
    assert '`["excellent","competent","basically_competent","incompetent"]`' in DOC
    header = make([]).header
    for key in header:
        assert f"| `{key}` |" in DOC, key
    assert base64.b64encode(bytes(65)).endswith(b"=")  # a point's base64 always has padding
