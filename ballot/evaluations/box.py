"""An evaluation's published ballot box: the file anyone can recount with ``tally verify-box``
(SPEC "Ballots", docs/box-format.md).

The file is never stored: it is rebuilt from the evaluation's header (fixed at open), its
ballots' ciphertexts and its result (written at close), byte for byte the canonical form of
``tally.box.box_document``, so its SHA-256 digest, computed once at close, names it for good.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.evaluations.models import Ballot, Evaluation
from tally import box


def stored_ballots(session: Session, evaluation_id: int) -> tuple[list[bytes], int]:
    """The valid ballots' ciphertexts, and how many invalid ballots there are."""
    ciphertexts = []
    invalid = 0
    for (ciphertext,) in session.execute(
        select(Ballot.ciphertext).where(Ballot.evaluation_id == evaluation_id)
    ):
        if ciphertext is None:
            invalid += 1
        else:
            ciphertexts.append(bytes(ciphertext))
    return ciphertexts, invalid


def file_chunks(header: str, ciphertexts: Sequence[bytes], result: str) -> Iterator[bytes]:
    """The box file piece by piece, from the canonical header and result texts: the same bytes
    as ``tally.box.canonical(tally.box.box_document(...))`` (tests/evaluations/test_box.py),
    without building the whole document of a 10,000-ballot box in memory."""
    entries = sorted((box.tracker(c), box.b64(c)) for c in ciphertexts)
    yield b'{"ballots":['
    # Both values are plain ASCII (base64 and the tracker alphabet), so the canonical JSON of an
    # entry is this template; formatting it costs a tenth of json.dumps at 10,000 ballots.
    for index, (tracker, encoded) in enumerate(entries):
        separator = "," if index else ""
        yield f'{separator}{{"ciphertext":"{encoded}","tracker":"{tracker}"}}'.encode("ascii")
    yield b'],"format":' + json.dumps(box.FORMAT).encode("ascii")
    yield b',"header":' + header.encode("utf-8")
    yield b',"result":' + result.encode("utf-8") + b"}"


def file_digest(header: str, ciphertexts: Sequence[bytes], result: str) -> str:
    digest = hashlib.sha256()
    for chunk in file_chunks(header, ciphertexts, result):
        digest.update(chunk)
    return digest.hexdigest()


def has_box(evaluation: Evaluation) -> bool:
    """Closed with the encrypted box (evaluations closed before it have none)."""
    return bool(evaluation.box_header and evaluation.box_result and evaluation.box_digest)


def box_chunks(session: Session, evaluation: Evaluation) -> Iterator[bytes]:
    """The published box of a closed evaluation, for a download."""
    assert has_box(evaluation)
    ciphertexts, _ = stored_ballots(session, evaluation.id)
    return file_chunks(evaluation.box_header or "", ciphertexts, evaluation.box_result or "")


def box_bytes(session: Session, evaluation: Evaluation) -> bytes:
    return b"".join(box_chunks(session, evaluation))
