"""Every model, imported in one place for Alembic and the CLI."""

from ballot.accounts.models import LoginAttempt, User, UserCounty
from ballot.assessments.models import Assessment, County, Member
from ballot.audit.models import AuditEntry, Complaint
from ballot.evaluations.models import Ballot, Evaluation, Slip, VoteTally
from ballot.results.models import Amendment, ApprovalStep, Decision, ResultSnapshot
from ballot.scores.models import CountyLeaderScore, CountyScore, MemberScore, Scorer

__all__ = [
    "Amendment", "ApprovalStep", "Assessment", "AuditEntry", "Ballot",
    "Complaint", "County", "CountyLeaderScore", "CountyScore", "Decision", "Evaluation",
    "LoginAttempt", "Member", "MemberScore", "ResultSnapshot", "Scorer", "Slip", "User",
    "UserCounty", "VoteTally",
]
