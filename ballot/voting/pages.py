"""The ballot and review pages, assembled from parts rendered once per evaluation and language.

Every voter of an evaluation sees the same roster, labels and wording; only the CSRF token, and
on the review page the voter's choices, differ. So the templates are rendered once per process
with *slots* (marker strings no page can contain) where those go, and each request fills the
slots by string replacement. The HTML stays in the templates; a page costs a few string
operations instead of a template rendering with a dozen translations (docs/benchmark.md).

Every page a voter gets after the ballot form (review, back to edit, over the cap, thanks) is
padded to one length per evaluation and language: an eavesdropper on the room's Wi-Fi sees each
response's length even over TLS, and "Basically competent" is longer than "Excellent".
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, get_template_attribute, render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from ballot.db import get_session
from ballot.evaluations.models import RATING_VALUES
from ballot.labels import RATING_LABELS
from ballot.voting.ballot_view import BallotView, rendered
from ballot.voting.services import ABSTAIN, Choices, form_value

#: Marker strings for the parts filled per request. They start with "<", which every text
#: from the database (names, positions, county) reaches the page escaped as "&lt;", so no roster
#: can forge one; they go into the templates as Markup so they arrive unescaped themselves.
TOKEN_SLOT = "<\x00csrf-token\x00>"
ROWS_SLOT = "<\x00rows\x00>"
FIELDS_SLOT = "<\x00fields\x00>"
COUNT_SLOT = "<\x00count\x00>"

#: Every value a member's rating can take on a ballot, abstaining included.
VALUES = (*RATING_VALUES, ABSTAIN)

#: Stands in for the CSRF token while the longest pages are measured: longer than any token
#: Flask-WTF makes (about 90 characters), so no real page outgrows its measure.
TOKEN_STAND_IN = "x" * 160
#: Stands in for the voter's tracker (``tally.box.tracker``: 11 characters, ``ABCDE-FGHJK``).
TRACKER_STAND_IN = "W" * 16
#: Bytes added to the longest page, for what differs between requests but never with the
#: choices (the language link's return path: /ballot or /thanks).
MARGIN = 256
PAD_START, PAD_END = "<!--", "-->"


def _lang() -> str:
    return str(get_locale())


def labels() -> dict[str, str]:
    """The rating names in the visitor's language, translated once per process and language."""
    return rendered(get_session(), ("labels", _lang()),
                    lambda: {key: str(label) for key, label in RATING_LABELS.items()})


def _members_html(evaluation: BallotView, chosen: dict[int, str | None]) -> Markup:
    """The rating buttons of every member, with the voter's earlier choices checked."""
    return Markup(render_template(
        "voting/_members.html", evaluation=evaluation, chosen=chosen, ABSTAIN=ABSTAIN,
        form_value=form_value,
        labels=labels(), ratings=RATING_VALUES,
    ))


def over_cap_message(cap: int, given: int) -> str:
    return _("每张票最多评 %(cap)s 个“优秀”，您评了 %(given)s 个。请减少后再提交。",
             cap=cap, given=given)


def ballot_page(evaluation: BallotView, chosen: dict[int, str | None], error: str | None) -> str:
    """The ballot with earlier choices checked and an error shown (back from review, or over
    the cap), padded: rendered in full, as it is rare. Every member has exactly one checked
    button, so only the error's numbers could change the length."""
    page = render_template("voting/ballot.html", evaluation=evaluation, error=error,
                           members_html=_members_html(evaluation, chosen))
    return padded(page, page_size(evaluation))


def fresh_ballot_page(evaluation: BallotView) -> str:
    """An empty ballot: the page cached for the evaluation and language, with this session's
    CSRF token put in."""
    def render() -> str:
        return render_template(
            "voting/ballot.html", evaluation=evaluation, error=None,
            members_html=_members_html(evaluation, {}), csrf_token=lambda: Markup(TOKEN_SLOT),
        )

    page = rendered(get_session(), ("ballot page", evaluation.id, _lang()), render)
    return page.replace(TOKEN_SLOT, generate_csrf())


@dataclass(frozen=True)
class _ReviewParts:
    #: The page with slots; one version with the "n members not rated" warning, one without.
    with_warning: str
    without_warning: str
    #: (member id, value) -> that member's table row, and hidden form field, with that value.
    rows: dict[tuple[int, str], str]
    fields: dict[tuple[int, str], str]


def _review_parts(evaluation: BallotView) -> _ReviewParts:
    row = get_template_attribute("voting/_review_parts.html", "row")
    field = get_template_attribute("voting/_review_parts.html", "field")
    names = labels()

    def page(abstained: object) -> str:
        return render_template(
            "voting/review.html", evaluation=evaluation, rows=Markup(ROWS_SLOT),
            fields=Markup(FIELDS_SLOT), abstained=abstained,
            csrf_token=lambda: Markup(TOKEN_SLOT),
        )

    return _ReviewParts(
        with_warning=page(Markup(COUNT_SLOT)),
        without_warning=page(0),
        rows={(m.id, v): str(row(m, v, names[v])) for m in evaluation.members for v in VALUES},
        fields={(m.id, v): str(field(m, form_value(v))) for m in evaluation.members
                for v in VALUES},
    )


def _parts(evaluation: BallotView) -> _ReviewParts:
    return rendered(get_session(), ("review parts", evaluation.id, _lang()),
                    lambda: _review_parts(evaluation))


def _fill(page: str, rows: str, fields: str, count: str, token: str) -> str:
    return (page.replace(ROWS_SLOT, rows).replace(FIELDS_SLOT, fields)
            .replace(COUNT_SLOT, count).replace(TOKEN_SLOT, token))


def review_page(evaluation: BallotView, choices: Choices) -> str:
    """The voter's choices for a last look, and the same choices as hidden fields of the
    confirm and edit forms, padded."""
    parts = _parts(evaluation)
    values = [(m.id, choices.by_member[m.id] or ABSTAIN) for m in evaluation.members]
    abstained = sum(1 for member_id, value in values if value == ABSTAIN)
    page = _fill(
        parts.with_warning if abstained else parts.without_warning,
        "".join(parts.rows[v] for v in values), "".join(parts.fields[v] for v in values),
        str(abstained), generate_csrf(),
    )
    return padded(page, page_size(evaluation))


def thanks_page(evaluation: BallotView, tracker: str | None) -> str:
    """The voter's tracker after the vote, padded like the pages before it."""
    return padded(render_template("voting/thanks.html", tracker=tracker), page_size(evaluation))


def _bytes(text: str) -> int:
    return len(text.encode())


def _longest_page(evaluation: BallotView) -> int:
    """Bytes of the longest page a voter can get after the ballot form: every member with the
    longest row and hidden field, the most members left unrated; the ballot with the largest
    over-the-cap numbers; the thanks page."""
    parts = _parts(evaluation)
    members = evaluation.members
    rows = "".join(max((parts.rows[m.id, v] for v in VALUES), key=_bytes) for m in members)
    fields = "".join(max((parts.fields[m.id, v] for v in VALUES), key=_bytes) for m in members)
    review = _fill(parts.with_warning, rows, fields, str(len(members)), TOKEN_STAND_IN)
    over_cap = render_template(
        "voting/ballot.html", evaluation=evaluation,
        error=over_cap_message(evaluation.excellent_cap or 0, len(members)),
        members_html=_members_html(evaluation, {}), csrf_token=lambda: Markup(TOKEN_STAND_IN),
    )
    thanks = render_template("voting/thanks.html", tracker=TRACKER_STAND_IN)
    return max(_bytes(review), _bytes(over_cap), _bytes(thanks))


def page_size(evaluation: BallotView) -> int:
    """The length in bytes every page after the ballot form is padded to, for the evaluation
    and the visitor's language (measured once per process)."""
    return rendered(get_session(), ("page size", evaluation.id, _lang()),
                    lambda: _longest_page(evaluation) + MARGIN)


def padded(page: str, size: int) -> str:
    """``page`` made ``size`` bytes long by a comment of spaces before ``</body>``."""
    room = size - _bytes(page) - len(PAD_START) - len(PAD_END)
    if room < 0:
        # Cannot happen while page_size measures the longest page; served, but said.
        current_app.logger.error("a voting page is %d bytes longer than its padded size", -room)
        return page
    end = page.rindex("</body>")
    return page[:end] + PAD_START + " " * room + PAD_END + page[end:]
