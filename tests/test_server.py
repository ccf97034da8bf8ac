"""Against the real server (gunicorn, several processes): races on one slip, and the access log."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from ballot.db import get_session
from ballot.evaluations.models import Ballot, Slip
from tests.conftest import CREDENTIAL_KEY
from tests.support.server import running_server

pytestmark = pytest.mark.server


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def _phone_ready_to_confirm(base: str, credential: str) -> tuple[requests.Session, str]:
    phone = requests.Session()
    opened = phone.get(f"{base}/s/{credential}", allow_redirects=False, timeout=10)
    assert opened.status_code == 303
    return phone, _token(phone.get(f"{base}/ballot", timeout=10).text)


def test_fifty_simultaneous_submits_of_one_slip_store_exactly_one_ballot(
        app: Flask, make_evaluation, database_url, tmp_path):
    setup = make_evaluation(slips=3)
    member = setup.member_ids[0]
    with running_server(database_url, tmp_path, credential_key=CREDENTIAL_KEY,
                        workers=3, threads=8) as server:
        phones = [_phone_ready_to_confirm(server.url, setup.credentials[0]) for _ in range(50)]
        start = threading.Barrier(len(phones))

        def submit(phone_and_token: tuple[requests.Session, str]) -> int:
            phone, token = phone_and_token
            start.wait()
            return phone.post(f"{server.url}/ballot/confirm",
                              data={"csrf_token": token, f"m{member}": "excellent"},
                              allow_redirects=False, timeout=60).status_code

        with ThreadPoolExecutor(len(phones)) as pool:
            statuses = list(pool.map(submit, phones))
    assert sorted(statuses).count(303) == 1, statuses
    assert statuses.count(409) == 49, statuses
    with app.app_context():
        db = get_session()
        assert db.scalar(select(func.count()).select_from(Ballot)) == 1
        assert db.scalar(select(func.count()).select_from(Slip).where(Slip.spent.is_(True))) == 1


def test_access_log_never_shows_a_credential_a_ballot_url_or_a_voter_address(
        make_evaluation, database_url, tmp_path):
    setup = make_evaluation(slips=2)
    with running_server(database_url, tmp_path, credential_key=CREDENTIAL_KEY) as server:
        phone, token = _phone_ready_to_confirm(server.url, setup.credentials[0])
        confirmed = phone.post(f"{server.url}/ballot/confirm",
                               data={"csrf_token": token, f"m{setup.member_ids[0]}": "competent"},
                               allow_redirects=False, timeout=10)
        assert confirmed.status_code == 303
        phone.get(f"{server.url}/thanks", timeout=10)
        requests.get(f"{server.url}/s/{setup.credentials[1]}", allow_redirects=False, timeout=10)
        team = requests.get(f"{server.url}/sign-in", timeout=10)
        assert team.status_code == 200
    log = server.access_log.read_text()
    lines = log.splitlines()
    assert any('"GET /s/<slip> HTTP/1.1" 303' in line for line in lines), log
    assert any('"POST /ballot/confirm HTTP/1.1" 303' in line for line in lines), log
    for credential in setup.credentials:
        assert credential not in log
    voter_lines = [line for line in lines if "/sign-in" not in line]
    assert voter_lines and all("127.0.0.1" not in line for line in voter_lines), voter_lines
    # Staff pages keep their address for the operator.
    assert any("/sign-in" in line and line.startswith("127.0.0.1") for line in lines), log
