"""Loading an evaluation for a signed-in account: 404 if it does not exist, refused unless the
account has one of the roles for its county (``accounts.access.assessment_for``)."""

from __future__ import annotations

from flask import abort

from ballot.accounts.access import READERS, assessment_for
from ballot.db import get_session
from ballot.evaluations.models import Evaluation
from ballot.evaluations.services import close_if_due


def evaluation_for(evaluation_id: int, roles: tuple = READERS) -> Evaluation:  # type: ignore[type-arg]
    """The evaluation, if the signed-in account has one of ``roles`` for its county."""
    evaluation = get_session().get(Evaluation, evaluation_id)
    if evaluation is None:
        abort(404)
    assessment_for(evaluation.assessment_id, roles)
    return evaluation


def evaluation_closed_if_due(evaluation_id: int, roles: tuple = READERS) -> Evaluation:  # type: ignore[type-arg]
    """The same, closed first if its closing time has passed (the team's pages; a GET that
    writes, which issue 9 moves out of the request)."""
    evaluation = evaluation_for(evaluation_id, roles)
    db = get_session()
    if close_if_due(db, evaluation):
        db.commit()
        db.refresh(evaluation)
    return evaluation
