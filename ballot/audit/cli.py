"""``ballot audit verify``: walk the hash chain of the audit log (A21)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import func, select

from ballot.audit.models import AuditEntry
from ballot.audit.services import verify_chain
from ballot.commands import command_unit
from ballot.db import get_session

audit_group = AppGroup("audit", help="The append-only audit log (A21).")


@audit_group.command("verify")
@command_unit
def verify() -> None:
    """Check every entry follows from the one before; exit 1 and list the problems if not."""
    session = get_session()
    problems = verify_chain(session)
    if problems:
        for problem in problems:
            click.echo(problem)
        raise SystemExit(1)
    count = session.scalar(select(func.count()).select_from(AuditEntry))
    click.echo(_("审计日志完整：共 %(n)s 条。", n=count))
