"""Every model, imported in one place for Alembic and the CLI."""

from ballot.accounts.models import LoginAttempt, User, UserCounty
from ballot.assessments.models import Assessment, County, Member
from ballot.audit.models import AuditEntry, Complaint
from ballot.evaluations.models import Ballot, BallotRating, Evaluation, Slip, VoteTally
from ballot.results.models import Amendment, ApprovalStep, Decision, ResultSnapshot
from ballot.scores.models import CountyLeaderScore, CountyScore, MemberScore, Scorer

__all__ = [
    "Amendment", "ApprovalStep", "Assessment", "AuditEntry", "Ballot", "BallotRating",
    "Complaint", "County", "CountyLeaderScore", "CountyScore", "Decision", "Evaluation",
    "LoginAttempt", "Member", "MemberScore", "ResultSnapshot", "Scorer", "Slip", "User",
    "UserCounty", "VoteTally",
]
