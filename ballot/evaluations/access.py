"""Loading an evaluation for a signed-in account: 404 if it does not exist, refused unless the
account has one of the roles for its county (``accounts.access.assessment_for``)."""

from __future__ import annotations

from flask import abort

from ballot.accounts.access import EDITORS, READERS, assessment_for, assessment_to_change
from ballot.accounts.models import Role
from ballot.db import get_session, then
from ballot.evaluations.models import Evaluation
from ballot.evaluations.services import close_due


def evaluation_for(evaluation_id: int, roles: tuple[Role, ...] = READERS) -> Evaluation:
    """The evaluation, if the signed-in account has one of ``roles`` for its county. Reads
    only: an evaluation past its closing time shows as *closing* (``Evaluation.phase``)."""
    evaluation = get_session().get(Evaluation, evaluation_id)
    if evaluation is None:
        abort(404)
    assessment_for(evaluation.assessment_id, roles)
    return evaluation


def evaluation_to_change(evaluation_id: int, roles: tuple[Role, ...] = EDITORS) -> Evaluation:
    """The same, for a team's POST: if the evaluation is past its closing time, it is closed
    and tallied in a transaction of its own right after this request's (``db.then``), so the
    POST itself is judged on the evaluation as it stands (no slip is issued once it is due)."""
    evaluation = get_session().get(Evaluation, evaluation_id)
    if evaluation is None:
        abort(404)
    assessment_to_change(evaluation.assessment_id, roles)  # held until the unit of work ends
    if evaluation.is_due():
        then(get_session(), lambda session: close_due(session, evaluation_id))
    return evaluation
