"""An eavesdropper on the meeting room's Wi-Fi sees how long each response is, even over TLS.
Every response after the ballot form has one length per evaluation and language, whatever the
choices: the review page, the edit page, the over-the-cap page, the redirect and the thanks page.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from ballot.assessments.services import RosterRow
from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parents[2]

#: Eight members with names and positions of different lengths.
ROSTER = [
    RosterRow("王建国", "县委副书记", "党建", 1),
    RosterRow("欧阳振华", "县委常委、常务副县长", "财政、税务、金融", 2),
    RosterRow("李娜", "副县长", "", 3),
    RosterRow("陈国华", "副县长", "农业农村", 4),
    RosterRow("司马光明", "县委常委、组织部部长", "组织", 5),
    RosterRow("张伟", "县人大常委会副主任", "教育", 6),
    RosterRow("刘晓燕", "县政协副主席", "卫生健康", 7),
    RosterRow("赵强", "县委常委、宣传部部长", "宣传、文旅", 8),
]
RATINGS = ("excellent", "competent", "basically_competent", "incompetent", "abstain")
CAP = 3


def mixes() -> Iterator[tuple[str, ...]]:
    """Every mix of ratings over the 8 members (495: how many get each rating), spread over the
    roster in a different order for each mix."""
    for i, counts in enumerate(c for c in itertools.product(range(9), repeat=5) if sum(c) == 8):
        values = [rating for rating, n in zip(RATINGS, counts, strict=True) for _ in range(n)]
        yield tuple(values[i % 8:] + values[:i % 8])


def over_cap(mix: tuple[str, ...]) -> bool:
    return mix.count("excellent") > CAP


def wire_size(response: TestResponse) -> int:
    """Bytes of the response as the server writes it: status line, headers, blank line, body."""
    head = f"HTTP/1.1 {response.status}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in response.headers.items()) + "\r\n"
    return len(head.encode("latin-1")) + len(response.get_data())


def form(token: str, member_ids: list[int], mix: tuple[str, ...]) -> dict[str, str]:
    return {"csrf_token": token, **{f"m{m}": r for m, r in zip(member_ids, mix, strict=True)}}


def open_ballot(client: FlaskClient, credential: str, lang: str) -> str:
    """Open a slip in ``lang``; return the ballot's CSRF token."""
    client.get(f"/lang/{lang}")
    assert client.get(f"/s/{credential}").status_code == 303
    return csrf_token(client)


@pytest.fixture
def roster8(make_evaluation):  # type: ignore[no-untyped-def]
    return make_evaluation(slips=60, cap=CAP, roster=ROSTER)


def test_the_mixes_are_every_composition_of_eight_ballots():
    all_mixes = list(mixes())
    assert len(all_mixes) == 495 and len({tuple(sorted(m)) for m in all_mixes}) == 495
    assert sum(1 for m in all_mixes if not over_cap(m)) == 425
    for extreme in ("abstain", "excellent", "incompetent", "basically_competent"):
        assert (extreme,) * 8 in all_mixes


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_review_edit_and_over_cap_pages_have_one_size_whatever_the_choices(
        app, roster8, lang):  # type: ignore[no-untyped-def]
    phone = app.test_client()
    token = open_ballot(phone, roster8.credentials[0], lang)
    sizes: dict[str, set[int]] = {"review": set(), "edit": set(), "over cap": set()}
    bodies: set[int] = set()
    for mix in mixes():
        data = form(token, roster8.member_ids, mix)
        if over_cap(mix):
            for path in ("/ballot", "/ballot/confirm"):
                response = phone.post(path, data=data)
                assert response.status_code == 200, mix
                sizes["over cap"].add(wire_size(response))
                bodies.add(len(response.get_data()))
            continue
        review = phone.post("/ballot", data=data)
        edit = phone.post("/ballot", data={**data, "action": "edit"})
        assert review.status_code == 200 and edit.status_code == 200, mix
        assert "Set-Cookie" not in review.headers and "Set-Cookie" not in edit.headers
        sizes["review"].add(wire_size(review))
        sizes["edit"].add(wire_size(edit))
        bodies.update((len(review.get_data()), len(edit.get_data())))
    assert {page: len(found) for page, found in sizes.items()} == {
        "review": 1, "edit": 1, "over cap": 1}, sizes
    assert len(bodies) == 1, bodies  # one padded length for every kind of page
    assert bodies.pop() < 60 * 1024


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_confirm_redirect_and_thanks_page_have_one_size_whatever_the_choices(
        app, roster8, lang):  # type: ignore[no-untyped-def]
    valid = [m for m in mixes() if not over_cap(m)]
    # All-abstain, all-incompetent, the most Excellents allowed, and mixes spread over the rest.
    chosen = [("abstain",) * 8, ("incompetent",) * 8, ("basically_competent",) * 8,
              ("excellent",) * CAP + ("basically_competent",) * (8 - CAP)]
    chosen += valid[::len(valid) // (len(roster8.credentials) - len(chosen))]
    chosen = chosen[:len(roster8.credentials)]
    assert len(set(chosen)) >= 58
    sizes: dict[str, set[int]] = {"redirect": set(), "thanks": set(), "review": set()}
    for credential, mix in zip(roster8.credentials, chosen, strict=True):
        phone = app.test_client()
        data = form(open_ballot(phone, credential, lang), roster8.member_ids, mix)
        review = phone.post("/ballot", data=data)
        confirmed = phone.post("/ballot/confirm", data=data)
        assert confirmed.status_code == 303 and confirmed.headers["Location"] == "/thanks"
        thanks = phone.get("/thanks")
        assert thanks.status_code == 200 and "Set-Cookie" not in thanks.headers
        sizes["review"].add(wire_size(review))
        sizes["redirect"].add(wire_size(confirmed))
        sizes["thanks"].add(wire_size(thanks))
    assert {page: len(found) for page, found in sizes.items()} == {
        "redirect": 1, "thanks": 1, "review": 1}, sizes
    # The thanks page is padded to the same length as the review page.
    assert len(thanks.get_data()) == len(review.get_data())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_numbers_of_one_and_two_digits_make_pages_of_one_size(app, make_evaluation):
    """"9 members not rated" and "10 members not rated"; "you gave 2" and "you gave 10"."""
    roster = [*ROSTER, RosterRow("孙悦", "副县长", "", 9), RosterRow("周正", "副县长", "", 10)]
    setup = make_evaluation(slips=1, cap=1, roster=roster)
    phone = app.test_client()
    token = open_ballot(phone, setup.credentials[0], "zh")
    responses = [phone.post("/ballot", data=form(token, setup.member_ids, mix)) for mix in (
        ("abstain",) * 10, ("competent",) + ("abstain",) * 9,                        # review
        ("excellent",) * 2 + ("abstain",) * 8, ("excellent",) * 10,                   # over cap
    )]
    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    assert "有 10 位成员未选择等次" in responses[0].get_data(as_text=True)
    assert "您评了 10 个" in responses[3].get_data(as_text=True)
    assert len({len(r.get_data()) for r in responses}) == 1


def test_nginx_neither_compresses_nor_logs_the_size_of_voter_pages():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    voter_format = re.search(r"log_format\s+ballot_voter\s+([^;]+);", code)
    assert voter_format and "body_bytes_sent" not in voter_format.group(1)
    assert "bytes_sent" not in voter_format.group(1) and "$status" in voter_format.group(1)
    # Off for the whole server: a compressed length depends on what the page says.
    server = code[code.index("server {"):]
    assert re.search(r"^\s*gzip\s+off;", server, re.M)
    assert not re.search(r"^\s*gzip\s+on;", code, re.M)
    # The public box page takes a tracker in its query string: logged as a voter page.
    assert re.search(r"~\^/box/\s+1;", code)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_what_the_phone_sends_has_one_length_whatever_the_choices(app, roster8):
    """The requests too: the browser posts the values of the checked radio buttons (the ballot)
    and of the hidden fields (confirm and edit), all padded to one width."""
    from urllib.parse import urlencode

    phone = app.test_client()
    token = open_ballot(phone, roster8.credentials[0], "zh")
    ballot = phone.get("/ballot").get_data(as_text=True)
    radios = re.findall(r'type="radio" name="(m\d+)" value="([^"]+)"', ballot)
    assert len(radios) == 8 * 5 and len({len(value) for _, value in radios}) == 1
    by_member: dict[str, dict[str, str]] = {}
    for name, value in radios:
        by_member.setdefault(name, {})[value.rstrip("_")] = value
    lengths = set()
    for mix in itertools.islice(mixes(), 0, None, 7):
        sent = {"csrf_token": token, **{name: by_member[name][rating]
                                        for name, rating in zip(by_member, mix, strict=True)}}
        lengths.add(len(urlencode(sent)))
        if over_cap(mix):
            continue
        review = phone.post("/ballot", data=sent).get_data(as_text=True)
        hidden = re.findall(r'type="hidden" name="(m\d+)" value="([^"]+)"', review)
        assert {len(value) for _, value in hidden} == {len(radios[0][1])}
    assert len(lengths) == 1
