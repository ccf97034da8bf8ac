"""Fixtures for the score sheets: an assessment with a roster, scorers added through the team's
page, a phone (its own client) that opens a personal link."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ballot.assessments.services import get_or_create_assessment, replace_roster
from ballot.db import get_session
from tests.conftest import ROSTER, csrf_token


@dataclass
class Roster:
    assessment_id: int
    member_ids: list[int]


@pytest.fixture
def roster(app: Flask) -> Roster:
    """武都区 2026 with the three-member roster, no evaluation yet."""
    with app.app_context():
        db = get_session()
        assessment = get_or_create_assessment(db, "武都区", 2026)
        replace_roster(db, assessment, ROSTER)
        db.commit()
        return Roster(assessment.id, [m.id for m in assessment.members])


def add_scorer(client: FlaskClient, assessment_id: int, kind: str, name: str, title: str = "",
               username: str = ""):  # type: ignore[no-untyped-def]
    path = f"/assessments/{assessment_id}/scorers"
    return client.post(path, data={"csrf_token": csrf_token(client, path), "kind": kind,
                                   "name": name, "title": title, "username": username})


def link_token(response) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r"/sheet/([2-9A-Z]{28})", response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)
    return match.group(1)


def new_scorer(client: FlaskClient, assessment_id: int, kind: str, name: str) -> str:
    """Add a scorer through the team's page; the token of their link."""
    response = add_scorer(client, assessment_id, kind, name)
    assert response.status_code == 200, response.get_data(as_text=True)
    return link_token(response)


def phone(app: Flask, token: str) -> FlaskClient:
    """A scorer's own browser with their link opened."""
    client = app.test_client()
    opened = client.get(f"/sheet/{token}")
    assert opened.status_code == 303, opened.get_data(as_text=True)
    assert opened.headers["Location"].endswith("/sheet")
    return client


def submit(client: FlaskClient, scores: dict[str, str], signed_name: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post("/sheet", data={"csrf_token": csrf_token(client, "/sheet"), **scores,
                                       "signed_name": signed_name, **extra})
