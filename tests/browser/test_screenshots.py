"""Pictures of what voters and the team see, kept under docs/screenshots/ (UPDATE_SCREENSHOTS=1),
and the printed slips: eight to one A4 page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser.conftest import Phone
from tests.browser.test_voting import choose, open_slip

pytestmark = pytest.mark.browser


def test_screenshots_of_the_ballot_review_and_thanks_pages(
        evaluation, phone_factory, screenshots: Path) -> None:
    setup = evaluation(cap=2)
    phone: Phone = phone_factory(javascript=True)
    page = open_slip(phone, setup.credentials[0])
    choose(page, "张卫东", "excellent")
    choose(page, "李红梅", "competent")
    choose(page, "赵建华", "basically_competent")
    page.screenshot(path=screenshots / "ballot.png", full_page=True)

    page.get_by_role("button", name="检查选择").tap()
    expect(page.get_by_role("heading", name="请核对您的选择")).to_be_visible()
    page.screenshot(path=screenshots / "review.png", full_page=True)

    page.get_by_role("button", name="确认提交").tap()
    expect(page.get_by_role("heading", name="投票成功，谢谢！")).to_be_visible()
    page.screenshot(path=screenshots / "thanks.png", full_page=True)

    for name in ("ballot", "review", "thanks"):
        assert (screenshots / f"{name}.png").stat().st_size > 0


def _vote_over_http(base: str, credential: str, member_id: int) -> None:
    with requests.Session() as phone:
        phone.get(f"{base}/s/{credential}", timeout=10)
        page = phone.get(f"{base}/ballot", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        confirmed = phone.post(f"{base}/ballot/confirm", timeout=10, allow_redirects=False,
                               data={"csrf_token": token.group(1), f"m{member_id}": "competent"})
        assert confirmed.status_code == 303


def test_projector_page_fills_a_1280_screen(
        evaluation, server, team_desktop: Page, screenshots: Path) -> None:
    desktop = team_desktop
    setup = evaluation(slips=40)
    for credential in setup.credentials[:13]:
        _vote_over_http(server.url, credential, setup.member_ids[0])
    desktop.goto(f"{server.url}/evaluations/{setup.evaluation_id}/screen")
    expect(desktop.locator(".figures")).to_have_text("13 / 40")
    sizes = desktop.evaluate("() => [document.documentElement.scrollWidth,"
                             " document.documentElement.scrollHeight]")
    assert sizes[0] <= 1280, f"the projector page scrolls sideways: {sizes}"
    assert sizes[1] <= 720, f"the projector page does not fit one screen: {sizes}"
    desktop.screenshot(path=screenshots / "screen.png")


def test_eight_slips_print_on_exactly_one_a4_page(
        evaluation, server, team_desktop: Page, screenshots: Path) -> None:
    desktop = team_desktop
    setup = evaluation(slips=1)
    desktop.goto(f"{server.url}/evaluations/{setup.evaluation_id}/slips")
    desktop.get_by_label("生成票签数量").fill("8")
    desktop.get_by_role("button", name="生成并打印").click()
    expect(desktop.locator("article.slip")).to_have_count(8)
    expect(desktop.get_by_text("共 8 张票签。", exact=False)).to_be_visible()
    desktop.screenshot(path=screenshots / "slips.png", full_page=True)

    pdf = desktop.pdf(format="A4")
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
    assert pages == 1, f"8 slips printed on {pages} A4 pages"
