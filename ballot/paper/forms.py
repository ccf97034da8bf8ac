"""Reading the paper-ballot form: the slip's code (typed, or a scanned slip URL) and the
ratings typed from the paper (SPEC "Ballots"; STYLE habit 14)."""

from __future__ import annotations

from collections.abc import Mapping

from ballot.evaluations.models import RATING_VALUES
from ballot.parsing import whole_number
from ballot.slips.credentials import normalize
from ballot.voting.ballot_view import BallotView
from ballot.voting.services import ABSTAIN

#: Longer than any slip URL a server prints; anything longer is not a slip.
MAX_CODE_LENGTH = 500
#: What precedes the credential in a slip's URL (``ballot.slips.printing.slip_url``).
SLIP_PATH = "/s/"


class TamperedForm(Exception):
    """A rating field that names no member of the roster, or a value that is no rating."""


def slip_credential(text: str) -> str | None:
    """The credential in what the clerk typed or a scanner sent, or None if it holds none.

    A code is typed as printed (28 characters; case, dashes and spaces do not matter); a QR
    scanner types the slip's whole URL, ``http://host:port/s/<credential>``, whose credential
    is what follows ``/s/`` (a query or fragment after it is ignored).
    """
    text = (text or "").strip()
    if not text or len(text) > MAX_CODE_LENGTH:
        return None
    at = text.lower().rfind(SLIP_PATH)
    if at >= 0:
        text = text[at + len(SLIP_PATH):].split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return normalize(text)


def paper_ratings(view: BallotView, form: Mapping[str, str]) -> dict[int, str | None]:
    """The rating of each member of the roster, None where the paper leaves one blank.

    Fields are ``m<member id>`` as on the phone's ballot; a missing field or ``abstain`` is no
    rating. A field naming no member of this roster, a member given twice, or a value that is
    no rating raises TamperedForm: the page never sends one.
    """
    members = {m.id for m in view.members}
    ratings: dict[int, str | None] = {m.id: None for m in view.members}
    getlist = getattr(form, "getlist", None)
    for name, value in form.items():
        if not name.startswith("m"):
            continue
        if getlist is not None and len(getlist(name)) > 1:
            raise TamperedForm(name)
        member_id = whole_number(name[1:])
        if member_id is None or member_id not in members:
            raise TamperedForm(name)
        if value in ("", ABSTAIN):
            continue
        if value not in RATING_VALUES:
            raise TamperedForm(name)
        ratings[member_id] = value
    return ratings
