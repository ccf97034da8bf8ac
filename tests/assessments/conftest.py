"""Fixtures for the setup and P/T pages: accounts of each role, counties, files to upload."""

from __future__ import annotations

import csv
import io
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import func, select

from ballot.accounts.models import Office, Role
from ballot.assessments.models import Assessment, County
from ballot.audit.models import AuditEntry
from ballot.db import get_session
from tests.conftest import csrf_token, make_user, sign_in


def xlsx(rows: list[list[object]]) -> bytes:
    """An Excel file with the rows on its first sheet."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8-sig") -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode(encoding)


def upload(client: FlaskClient, url: str, filename: str, data: bytes, **fields: object):  # type: ignore[no-untyped-def]
    form = {"csrf_token": csrf_token(client, "/home"), **fields,
            "file": (io.BytesIO(data), filename)}
    return client.post(url, data=form, content_type="multipart/form-data")


def post(client: FlaskClient, url: str, **fields: object):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf_token(client, "/home"), **fields})


def signed_in(app: Flask, username: str, role: Role, **options: object) -> FlaskClient:
    make_user(app, username, role, **options)
    client = app.test_client()
    assert sign_in(client, username).status_code == 303
    return client


@pytest.fixture
def as_role(app: Flask):  # type: ignore[no-untyped-def]
    """Factory: a client signed in with the role (reviewers sign for the organization dept)."""
    def make(role: Role) -> FlaskClient:
        options = {"office": Office.ORGANIZATION} if role == Role.REVIEWER else {}
        return signed_in(app, f"u-{role.value}", role, **options)
    return make


@pytest.fixture
def counties(app: Flask) -> dict[str, int]:
    """Five counties, by name -> id."""
    names = ["武都区", "成县", "文县", "宕昌县", "康县"]
    with app.app_context():
        db = get_session()
        rows = [County(name=n) for n in names]
        db.add_all(rows)
        db.commit()
        return {c.name: c.id for c in rows}


@pytest.fixture
def assessment_id(app: Flask, counties: dict[str, int]) -> int:
    """武都区 2026, no roster yet."""
    with app.app_context():
        db = get_session()
        assessment = Assessment(county_id=counties["武都区"], year=2026)
        db.add(assessment)
        db.commit()
        return assessment.id


def audit_entries(app: Flask, action: str) -> list[dict[str, object]]:
    with app.app_context():
        rows = get_session().scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        return [{"actor": e.actor, "target": e.target, "assessment_id": e.assessment_id,
                 "before": json.loads(e.before), "after": json.loads(e.after)} for e in rows]


def audit_count(app: Flask) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count(AuditEntry.id))) or 0
