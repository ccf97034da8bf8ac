"""Fixtures for real-browser tests: gunicorn on the test database, Debian's Chromium through
Playwright, and a phone as voters carry it (360 px wide, touch, WeChat's in-app browser)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Response, sync_playwright
from sqlalchemy import select

from ballot.assessments.services import RosterRow
from ballot.db import get_session
from ballot.evaluations.models import Ballot, Evaluation
from tests.conftest import CREDENTIAL_KEY, Setup, fresh_database
from tests.support.server import ROOT, Server, running_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
#: WeChat's in-app browser on an Android phone: what most voters will open the QR code in.
WECHAT_ANDROID = (
    "Mozilla/5.0 (Linux; Android 13; V2148A Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 "
    "MMWEBSDK/20231202 MMWEBID/2247 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 "
    "Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": WECHAT_ANDROID,
    "locale": "zh-CN",
}
#: A county leadership of eight, with the long titles and portfolios real rosters have.
ROSTER = [
    RosterRow("张卫东", "县委书记", "主持县委全面工作", 1),
    RosterRow("李红梅", "县委副书记、县长", "主持县政府全面工作", 2),
    RosterRow("王志强", "县委副书记", "党的建设、乡村振兴", 3),
    RosterRow("赵建华", "县委常委、政法委书记", "政法、信访、社会治安综合治理", 4),
    RosterRow("刘晓燕", "县委常委、组织部部长", "组织、人才、老干部", 5),
    RosterRow("陈国平", "县委常委、常务副县长", "发展改革、财政、税务、金融、国有资产管理", 6),
    RosterRow("杨丽娟", "县委常委、宣传部部长", "宣传、精神文明建设、网信", 7),
    RosterRow("欧阳振华", "副县长", "农业农村、水务、林业和草原、应急管理", 8),
]
#: Written into docs/screenshots/ only when asked: the slips carry fresh random codes each run.
UPDATE_SCREENSHOTS = os.environ.get("UPDATE_SCREENSHOTS") == "1"


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path,
                 sqlite_template: Path) -> Iterator[str]:
    """SQLite unless a test asks for more with ``parametrize("database_url", ..., indirect=True)``:
    a browser adds nothing database-specific, and each run of a browser test costs seconds."""
    yield from fresh_database(request, tmp_path, sqlite_template)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM}")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                         headless=True)
    yield browser
    browser.close()


@pytest.fixture
def server(app: Flask, database_url: str, tmp_path: Path) -> Iterator[Server]:
    """The product under gunicorn, as an operator runs it, on this test's migrated database."""
    with running_server(database_url, tmp_path, credential_key=CREDENTIAL_KEY,
                        workers=1, threads=4) as server:
        yield server


@pytest.fixture
def evaluation(app: Flask, make_evaluation) -> Callable[..., Setup]:  # type: ignore[no-untyped-def]
    """Factory: an open evaluation of the eight-member roster in 武都区, with slips."""

    def make(slips: int = 5, cap: int | None = None) -> Setup:
        setup = make_evaluation(slips, cap=cap, roster=ROSTER)
        with app.app_context():
            db = get_session()
            db.get_one(Evaluation, setup.evaluation_id).assessment.county.name = "武都区"
            db.commit()
        return setup

    return make


@dataclass
class Traffic:
    """Every URL the browser asked for, and the responses of the page load being measured."""

    urls: list[str] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        context.on("request", lambda request: self.urls.append(request.url))
        context.on("response", lambda response: self.responses.append(response))

    def weigh(self, page: Page) -> tuple[int, dict[str, int]]:
        """Bytes of every body the page load since the last call fetched (HTML, CSS, JS).
        Redirects count by their transferred size; their bodies are not kept by the browser."""
        page.wait_for_load_state("networkidle")
        sizes: dict[str, int] = {}
        for response in self.responses:
            key = f"{response.request.method} {response.url} {response.status}"
            if 300 <= response.status < 400:
                sizes[key] = response.request.sizes()["responseBodySize"]
            else:
                sizes[key] = len(response.body())
        self.responses.clear()
        return sum(sizes.values()), sizes


@dataclass
class Phone:
    page: Page
    traffic: Traffic
    base: str


@pytest.fixture
def phone_factory(browser: Browser, server: Server) -> Iterator[Callable[..., Phone]]:
    """Open a phone (a fresh browser context) with JavaScript on or off."""
    contexts: list[BrowserContext] = []

    def open_phone(*, javascript: bool) -> Phone:
        context = browser.new_context(**PHONE, java_script_enabled=javascript)  # type: ignore[arg-type]
        contexts.append(context)
        traffic = Traffic()
        traffic.watch(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return Phone(page, traffic, server.url)

    yield open_phone
    for context in contexts:
        context.close()


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def phone(request: pytest.FixtureRequest, phone_factory: Callable[..., Phone]) -> Phone:
    """The voter's phone, once with JavaScript and once without."""
    return phone_factory(javascript=request.param)


@pytest.fixture
def desktop(browser: Browser, server: Server) -> Iterator[Page]:
    """The team's laptop (or the projector it drives): 1280 x 720."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def team_desktop(app: Flask, desktop: Page, server: Server) -> Page:
    """The team's laptop, signed in as an assessment-team member."""
    from ballot.accounts.models import Role
    from tests.conftest import PASSWORD, make_user

    make_user(app, "team-laptop", Role.TEAM, display_name="考核组")
    desktop.goto(f"{server.url}/sign-in")
    desktop.get_by_label("用户名").fill("team-laptop")
    desktop.get_by_label("密码").fill(PASSWORD)
    desktop.get_by_role("button", name="登录").click()
    desktop.wait_for_url(f"{server.url}/home")
    return desktop


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where pictures go: docs/screenshots/ with UPDATE_SCREENSHOTS=1, else the test's tmp dir."""
    if UPDATE_SCREENSHOTS:
        path = ROOT / "docs" / "screenshots"
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path


def stored_ballots(app: Flask) -> list[dict[int, str]]:
    """Each stored ballot as member id -> rating (abstentions hold no rating), opened with the
    evaluation's key from the key store, as only the server can while the evaluation is open
    (docs/secrecy.md (c)): what the phone sent is what was encrypted."""
    from ballot.evaluations.keystore import current_keystore
    from ballot.evaluations.models import Evaluation
    from tests.support.attack import open_ballot

    with app.app_context():
        db = get_session()
        found = []
        for ballot in db.scalars(select(Ballot)):
            evaluation = db.get_one(Evaluation, ballot.evaluation_id)
            members = [m.id for m in evaluation.members]
            ratings = open_ballot(current_keystore().get(evaluation.id), bytes(ballot.ciphertext))
            assert ratings is not None, "a ciphertext that does not open with its key"
            found.append({m: r for m, r in zip(members, ratings, strict=True) if r})
        return found
