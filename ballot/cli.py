"""The ``ballot`` command: the operator's interface beside the workspace.

Commands call the same services as the web pages, inside one unit of work each
(``command_unit``: commit when the command ends normally, roll back on any error; STYLE habit
12). A refusal or bad input prints one clear line in the operator's language and exits 2.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import secrets
import socket
import sys
from pathlib import Path

import click
from flask import Flask, current_app, render_template
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy import select

from ballot import migrate
from ballot.accounts.models import Office, Role, User
from ballot.accounts.services import AccountError, create_user
from ballot.assessments.models import County
from ballot.assessments.services import (
    RosterRow,
    find_or_create_assessment,
    import_roster,
    parse_roster_file,
)
from ballot.audit.services import record
from ballot.clock import beijing_year
from ballot.commands import InputProblem, command_unit
from ballot.db import get_session
from ballot.evaluations.floor import publication
from ballot.evaluations.models import Evaluation, Kind, State
from ballot.evaluations.services import (
    CountsWithheld,
    EvaluationError,
    close_evaluation,
    create_evaluation,
    issue_slips,
    open_evaluation,
    rescrub_if_pending,
    results,
    start_evaluation,
    sweep_keys,
    turnout,
)
from ballot.parsing import beijing_datetime, datetime_with_offset
from ballot.slips.printing import slip_sheets, slip_url


class Withheld(click.ClickException):
    """Counts withheld below the anonymity floor: not bad input, but nothing to show (exit 3)."""

    exit_code = 3


def _evaluation(evaluation_id: int) -> Evaluation:
    evaluation = get_session().get(Evaluation, evaluation_id)
    if evaluation is None:
        raise InputProblem(f"evaluation {evaluation_id}: no such evaluation")
    return evaluation


def _base_url(option: str | None) -> str:
    base = option or current_app.config["BASE_URL"]
    if not base:
        raise InputProblem(
            "--base-url: needed for the QR codes (e.g. http://192.168.1.20:8000), "
            "or set BALLOT_BASE_URL"
        )
    if not base.startswith(("http://", "https://")):
        raise InputProblem(f"--base-url: must start with http:// or https://, got {base!r}")
    return base.rstrip("/")


def _team_url(base: str, evaluation: Evaluation) -> str:
    return f"{base}/evaluations/{evaluation.id}/"


def lan_address() -> str:
    """This machine's address on the local network, for the phones; loopback if it has none."""
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            address = str(info[4][0])
            if not address.startswith("127."):
                return address
    except OSError:
        pass
    return "127.0.0.1"


@click.command("init")
@with_appcontext
@command_unit
def init_command() -> None:
    """Create or upgrade the database schema to the newest version (Alembic)."""
    migrate.upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is at the newest schema")
    # First, while this command has no transaction open (the scrub needs none).
    if rescrub_if_pending(get_session()):
        click.echo("ran the SQLite scrub an earlier close still owed")
    for evaluation_id in sweep_keys(get_session()):
        click.echo(f"destroyed the leftover key of closed evaluation {evaluation_id}")


def _write_slips(evaluation: Evaluation, credentials: list[str], base: str,
                 html: Path | None, csv_path: Path | None) -> None:
    if html is not None:
        page = render_template("slips/print.html", evaluation=evaluation,
                               sheets=slip_sheets(credentials, base))
        html.write_text(page, encoding="utf-8")
        click.echo(f"slips to print: {html} ({len(credentials)} slips)")
    if csv_path is not None:
        with csv_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["url", "code"])
            for credential in credentials:
                writer.writerow([slip_url(base, credential), credential])
        click.echo(f"slip URLs: {csv_path}")


DEMO_ROSTER = [
    RosterRow("王建国", "县委副书记", "党建、扶贫开发", 1),
    RosterRow("李秀兰", "常务副县长", "财政、发展改革", 2),
    RosterRow("张志强", "县委常委、组织部长", "组织、人才", 3),
    RosterRow("刘海燕", "县委常委、宣传部长", "宣传、文化旅游", 4),
    RosterRow("陈国华", "副县长", "农业农村、林业", 5),
    RosterRow("赵文斌", "副县长", "交通、住建", 6),
    RosterRow("孙丽娟", "副县长", "教育、卫生健康", 7),
    RosterRow("周明", "县委常委、政法委书记", "政法、信访", 8),
]


@click.command("demo")
@with_appcontext
@click.option("--slips", "slip_count", default=30, show_default=True, help="Slips to issue.")
@click.option("--base-url", help="Address the phones use; default: this machine on port 8000.")
@command_unit
def demo_command(slip_count: int, base_url: str | None) -> None:
    """Create a demo county with an open democratic evaluation and print its slips."""
    db = get_session()
    port = os.environ.get("BALLOT_BIND", ":8000").rsplit(":", 1)[-1]
    base = _base_url(base_url or current_app.config["BASE_URL"]
                     or f"http://{lan_address()}:{port}")
    year = beijing_year()
    assessment = find_or_create_assessment(db, "示范县", year, actor=None)
    existing = db.scalar(select(Evaluation).where(Evaluation.assessment_id == assessment.id))
    if existing is not None:
        # Run again (e.g. by scripts/run): say where things are; codes are never shown twice.
        counts = turnout(db, existing)
        click.echo(f"demo evaluation {existing.id} exists ({existing.state}): "
                   f"{counts.used} of {counts.issued} slips used")
        click.echo(f"slips to print: {Path(current_app.instance_path) / f'slips-{existing.id}.html'}")
        click.echo(f"team page (turnout, close, results): {_team_url(base, existing)}")
        click.echo(f"  sign in with the account in "
                   f"{Path(current_app.instance_path) / 'demo-account.txt'}")
        return
    import_roster(db, assessment, DEMO_ROSTER, actor=None)
    password = secrets.token_urlsafe(9)
    if db.scalar(select(User.id).where(User.username == "demo-team")) is None:
        create_user(db, "demo-team", password, Role.TEAM, display_name="示范考核组")
        credentials_file = Path(current_app.instance_path) / "demo-account.txt"
        credentials_file.parent.mkdir(parents=True, exist_ok=True)
        credentials_file.write_text(f"demo-team {password}\n", encoding="utf-8")
        credentials_file.chmod(0o600)
    evaluation = create_evaluation(db, assessment, Kind.DEMOCRATIC, excellent_cap=3)
    try:
        credentials = issue_slips(db, evaluation, slip_count, current_app.config["CREDENTIAL_KEY"])
    except EvaluationError as error:
        raise InputProblem(f"--slips: {error}") from None
    open_evaluation(db, evaluation)
    html = Path(current_app.instance_path) / f"slips-{evaluation.id}.html"
    html.parent.mkdir(parents=True, exist_ok=True)
    _write_slips(evaluation, credentials, base, html, None)
    click.echo(f"evaluation {evaluation.id}: 示范县 {year} 民主测评, {slip_count} slips, open")
    click.echo(f"team page (turnout, close, results): {_team_url(base, evaluation)}")
    click.echo(f"  sign in as demo-team, password {password} "
               f"(kept in {Path(current_app.instance_path) / 'demo-account.txt'})")
    click.echo(f"projector: {_team_url(base, evaluation)}screen")
    click.echo("first slips (open one on a phone):")
    for credential in credentials[:3]:
        click.echo(f"  {slip_url(base, credential)}")


@click.group("evaluation", cls=AppGroup)
def evaluation_group() -> None:
    """Create evaluations."""


@evaluation_group.command("create")
@click.option("--county", required=True, help="County name, e.g. 武都区.")
@click.option("--year", required=True, type=int)
@click.option("--kind", type=click.Choice([k.value for k in Kind]), default=Kind.DEMOCRATIC.value,
              show_default=True)
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV or XLSX with 姓名, 职务, 分管工作, 排序 (needed the first time; replaces the "
                   "roster, as the roster page does).")
@click.option("--excellent-cap", type=int, help="Most Excellent ratings one ballot may give.")
@click.option("--closes-at", help="Closing time, ISO 8601 with offset, e.g. 2026-12-01T11:30+08:00.")
@command_unit
def evaluation_create(county: str, year: int, kind: str, roster: Path | None,
                      excellent_cap: int | None, closes_at: str | None) -> None:
    """Create a draft evaluation over a county's roster for the year (the services of the
    setup page: the same checks, refusals and audit entries)."""
    db = get_session()
    closing = _parse_closing(closes_at)
    assessment = find_or_create_assessment(db, county, year, actor=None)
    if roster is not None:
        try:
            data = roster.read_bytes()
        except OSError as error:
            raise InputProblem(f"--roster: cannot read {roster}: {error}") from None
        import_roster(db, assessment, parse_roster_file(roster.name, data), actor=None)
    elif not assessment.members:
        raise InputProblem("--roster: the assessment has no roster yet; give a CSV file")
    evaluation = start_evaluation(db, assessment, Kind(kind), excellent_cap=excellent_cap,
                                  closes_at=closing, actor=None)
    click.echo(f"evaluation {evaluation.id} created (draft), {len(assessment.members)} members")
    click.echo(f"team page path: /evaluations/{evaluation.id}/")


def _parse_closing(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    closing = datetime_with_offset(text)
    if closing is None:
        if beijing_datetime(text) is not None:
            raise InputProblem(f"--closes-at: give the UTC offset, e.g. {text}+08:00")
        raise InputProblem(f"--closes-at: not an ISO 8601 time, got {text!r}")
    return closing


@click.group("slips", cls=AppGroup)
def slips_group() -> None:
    """Issue slips. Their codes are shown once: print or save them when issued."""


@slips_group.command("issue")
@click.argument("evaluation_id", type=int)
@click.option("--count", required=True, type=int)
@click.option("--html", "html", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Write the A4 print page here.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--base-url")
@command_unit
def slips_issue(evaluation_id: int, count: int, html: Path, csv_path: Path | None,
                base_url: str | None) -> None:
    """Issue COUNT new slips and write the print page (and optionally their URLs as CSV)."""
    _issue(evaluation_id, count, base_url, html, csv_path)


@slips_group.command("export")
@click.argument("evaluation_id", type=int)
@click.option("--count", required=True, type=int)
@click.option("--csv", "csv_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--base-url")
@command_unit
def slips_export(evaluation_id: int, count: int, csv_path: Path, base_url: str | None) -> None:
    """Issue COUNT new slips and write their ballot URLs as CSV (for a print shop or mail merge)."""
    _issue(evaluation_id, count, base_url, None, csv_path)


def _issue(evaluation_id: int, count: int, base_url: str | None, html: Path | None,
           csv_path: Path | None) -> None:
    db = get_session()
    evaluation = _evaluation(evaluation_id)
    base = _base_url(base_url)
    try:
        credentials = issue_slips(db, evaluation, count, current_app.config["CREDENTIAL_KEY"])
    except EvaluationError as error:
        raise InputProblem(str(error)) from None
    # The files first: slips whose codes were never written out must not exist.
    try:
        _write_slips(evaluation, credentials, base, html, csv_path)
    except OSError as error:
        raise InputProblem(f"cannot write the slips: {error}") from None


@click.command("open")
@with_appcontext
@click.argument("evaluation_id", type=int)
@command_unit
def open_command(evaluation_id: int) -> None:
    """Open an evaluation: its slips can vote from now on."""
    db = get_session()
    try:
        open_evaluation(db, _evaluation(evaluation_id))
    except EvaluationError as error:
        raise InputProblem(str(error)) from None
    click.echo(f"evaluation {evaluation_id} is open")


@click.command("close")
@with_appcontext
@click.argument("evaluation_id", type=int)
@command_unit
def close_command(evaluation_id: int) -> None:
    """Close an open evaluation and tally it."""
    db = get_session()
    evaluation = _evaluation(evaluation_id)
    try:
        closed = evaluation.state == State.OPEN and close_evaluation(db, evaluation_id, "team")
    except EvaluationError as error:
        raise InputProblem(f"evaluation {evaluation_id}: {error}") from None
    if not closed:
        raise InputProblem(f"evaluation {evaluation_id}: only an open evaluation can be closed "
                           f"(it is {evaluation.state})")
    click.echo(f"evaluation {evaluation_id} is closed and tallied; the box's SHA-256 digest is "
               f"{evaluation.box_digest}; its key is destroyed")
    if evaluation.counts_withheld:
        click.echo(f"its per-member counts are withheld: fewer valid ballots than the anonymity "
                   f"floor of {evaluation.assessment.anonymity_floor}; the team can publish them "
                   "on the results page")


@click.command("close-due")
@with_appcontext
def close_due_command() -> None:
    """Close every open evaluation past its closing time (run it from cron every minute)."""
    from ballot.evaluations.closer import close_due_now

    for evaluation_id in close_due_now(current_app._get_current_object()):  # type: ignore[attr-defined]
        click.echo(f"evaluation {evaluation_id} closed at its closing time")


@click.command("turnout")
@with_appcontext
@click.argument("evaluation_id", type=int)
@command_unit
def turnout_command(evaluation_id: int) -> None:
    """Slips issued and used."""
    evaluation = _evaluation(evaluation_id)
    counts = turnout(get_session(), evaluation)
    phase = evaluation.phase()
    click.echo(f"{phase}: {counts.used} of {counts.issued} slips used ({counts.percent}%)"
               + (" - past its closing time, being closed and tallied" if phase == "closing"
                  else ""))


@click.command("results")
@with_appcontext
@click.argument("evaluation_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@command_unit
def results_command(evaluation_id: int, as_json: bool) -> None:
    """Counts and vote score per member, once the evaluation is closed.

    Exits 3, showing no count, while they are withheld below the anonymity floor (SPEC
    "Ballots"): the team publishes them by a recorded decision on the results page.
    """
    evaluation = _evaluation(evaluation_id)
    try:
        rows = results(get_session(), evaluation)
    except CountsWithheld as error:
        raise Withheld(f"evaluation {evaluation_id}: {error}") from None
    except EvaluationError as error:
        raise InputProblem(f"evaluation {evaluation_id}: {error}") from None
    decision = publication(get_session(), evaluation)
    if as_json:
        payload = {
            "evaluation": evaluation.id,
            "county": evaluation.assessment.county.name,
            "year": evaluation.assessment.year,
            "kind": evaluation.kind,
            "ballots": evaluation.ballots_cast,
            "invalid_ballots": evaluation.invalid_ballots,
            "counts_published": None if decision is None else {
                "reason": decision.reason, "by": decision.author,
                "at": decision.at.isoformat(timespec="seconds")},
            "members": [
                {"id": t.member_id, "name": t.member.name, "position": t.member.position,
                 "excellent": t.excellent, "competent": t.competent,
                 "basically_competent": t.basically_competent, "incompetent": t.incompetent,
                 "abstained": t.abstained, "valid": t.valid, "score": t.score}
                for t in rows
            ],
        }
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        click.echo()
        return
    click.echo(f"{evaluation.assessment.county.name} {evaluation.assessment.year} "
               f"{evaluation.kind}: {evaluation.ballots_cast} ballots")
    if decision is not None:
        click.echo(f"counts published by decision of {decision.author} "
                   f"({decision.at:%Y-%m-%d %H:%M} UTC): {decision.reason}")
    for t in rows:
        click.echo(f"{t.member.name}\t优秀 {t.excellent}\t称职 {t.competent}\t"
                   f"基本称职 {t.basically_competent}\t不称职 {t.incompetent}\t"
                   f"弃权 {t.abstained}\t有效 {t.valid}\t得分 {t.score or '—'}")


@click.group("translate")
def translate_group() -> None:
    """Keep the English catalog in line with the Chinese source strings."""


@translate_group.command("update")
def translate_update() -> None:
    """Extract every string into translations/en/.../messages.po (new ones left to translate)."""
    from ballot import i18n

    i18n.update()
    untranslated = [m.id for m in i18n.read_catalog("en") if m.id and not m.string]
    click.echo(f"{len(untranslated)} string(s) to translate in {i18n.po_path('en')}")


@translate_group.command("compile")
def translate_compile() -> None:
    """Compile the catalogs to the .mo files the app loads."""
    from ballot import i18n

    i18n.compile_all()
    click.echo("catalogs compiled")


@click.group("user", cls=AppGroup)
def user_group() -> None:
    """Accounts."""


@user_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", "display_name", default="", help="Name shown on approvals and in the log.")
@click.option("--office", type=click.Choice([o.value for o in Office]),
              help="For a reviewer: the office they sign for.")
@click.option("--county", "counties", multiple=True, help="Limit to this county (repeatable).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when not given (or read from BALLOT_NEW_PASSWORD).",
              envvar="BALLOT_NEW_PASSWORD")
@command_unit
def user_create(username: str, role: str, display_name: str, office: str | None,
                counties: tuple[str, ...], password: str) -> None:
    """Create an account, e.g. the first admin: ballot user create admin --role admin."""
    db = get_session()
    county_rows = []
    for name in counties:
        county = db.scalar(select(County).where(County.name == name))
        if county is None:
            raise InputProblem(f"--county: no county named {name!r}")
        county_rows.append(county)
    try:
        user = create_user(db, username, password, Role(role), display_name=display_name,
                           office=Office(office) if office else None, counties=county_rows)
    except AccountError as error:
        raise InputProblem(str(error)) from None
    record(db, "user.create", actor=None, target=f"user:{user.id}",
           after={"username": user.username, "role": user.role, "office": user.office,
                  "counties": [c.name for c in county_rows]})
    click.echo(f"account {user.username} ({user.role}) created")


COMMANDS = [user_group, translate_group, init_command, demo_command, evaluation_group, slips_group, open_command,
            close_command, close_due_command, turnout_command, results_command]


def register(app: Flask) -> None:
    from ballot.audit.cli import audit_group

    for command in [*COMMANDS, audit_group]:
        app.cli.add_command(command)


def main() -> None:
    from ballot import create_app

    FlaskGroup(create_app=lambda: create_app(), add_default_commands=True)(prog_name="ballot")
