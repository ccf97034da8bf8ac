"""The ballot and review pages, assembled from parts rendered once per evaluation and language.

Every voter of an evaluation sees the same roster, labels and wording; only the CSRF token, and
on the review page the voter's choices, differ. So the templates are rendered once per process
with *slots* (marker strings no page can contain) where those go, and each request fills the
slots by string replacement. The HTML stays in the templates; a page costs a few string
operations instead of a template rendering with a dozen translations (docs/benchmark.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import get_template_attribute, render_template
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from ballot.db import get_session
from ballot.evaluations.models import RATING_VALUES
from ballot.labels import RATING_LABELS
from ballot.voting.ballot_view import BallotView, rendered
from ballot.voting.services import ABSTAIN, Choices

#: Marker strings for the parts filled per request. They start with "<", which every text
#: from the database (names, positions, county) reaches the page escaped as "&lt;", so no roster
#: can forge one; they go into the templates as Markup so they arrive unescaped themselves.
TOKEN_SLOT = "<\x00csrf-token\x00>"
ROWS_SLOT = "<\x00rows\x00>"
FIELDS_SLOT = "<\x00fields\x00>"
COUNT_SLOT = "<\x00count\x00>"

#: Every value a member's rating can take on a ballot, abstaining included.
VALUES = (*RATING_VALUES, ABSTAIN)


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
        labels=labels(), ratings=RATING_VALUES,
    ))


def ballot_page(evaluation: BallotView, chosen: dict[int, str | None], error: str | None) -> str:
    """The ballot with earlier choices checked and an error shown (back from review, or over
    the cap): rendered in full, as it is rare."""
    return render_template("voting/ballot.html", evaluation=evaluation, error=error,
                           members_html=_members_html(evaluation, chosen))


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
        fields={(m.id, v): str(field(m, v)) for m in evaluation.members for v in VALUES},
    )


def review_page(evaluation: BallotView, choices: Choices) -> str:
    """The voter's choices for a last look, and the same choices as hidden fields of the
    confirm and edit forms."""
    parts = rendered(get_session(), ("review parts", evaluation.id, _lang()),
                     lambda: _review_parts(evaluation))
    values = [(m.id, choices.by_member[m.id] or ABSTAIN) for m in evaluation.members]
    abstained = sum(1 for _, value in values if value == ABSTAIN)
    page = parts.with_warning if abstained else parts.without_warning
    return (
        page.replace(ROWS_SLOT, "".join(parts.rows[v] for v in values))
        .replace(FIELDS_SLOT, "".join(parts.fields[v] for v in values))
        .replace(COUNT_SLOT, str(abstained))
        .replace(TOKEN_SLOT, generate_csrf())
    )
