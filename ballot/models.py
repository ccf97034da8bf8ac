"""Every model, imported in one place for Alembic and the CLI."""

from ballot.assessments.models import Assessment, County, Member
from ballot.evaluations.models import Ballot, BallotRating, Evaluation, Slip, VoteTally

__all__ = ["Assessment", "Ballot", "BallotRating", "County", "Evaluation", "Member", "Slip",
           "VoteTally"]
