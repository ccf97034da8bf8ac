"""A voter's phone in a real browser: headless Chromium at 360 px, with and without JavaScript."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import ROSTER, Phone, stored_ballots

pytestmark = pytest.mark.browser

LABELS = {
    "excellent": "优秀",
    "competent": "称职",
    "basically_competent": "基本称职",
    "incompetent": "不称职",
    "abstain": "弃权",
}
#: What the voter taps; 杨丽娟 is left alone, which is an abstention.
CHOICES = {
    "张卫东": "excellent",
    "李红梅": "competent",
    "王志强": "competent",
    "赵建华": "basically_competent",
    "刘晓燕": "incompetent",
    "陈国平": "competent",
    "欧阳振华": "excellent",
}
PAGE_WEIGHT_LIMIT = 60 * 1024


def member(page: Page, name: str) -> Locator:
    return page.locator("fieldset.member").filter(has=page.get_by_text(name, exact=True))


def choose(page: Page, name: str, rating: str) -> None:
    """Tap the big rating button (the label; its radio input is invisible on top of it)."""
    label = member(page, name).locator("label.choice").filter(
        has=page.get_by_text(LABELS[rating], exact=True))
    label.tap()
    expect(member(page, name).locator(f'input[value^="{rating}"]')).to_be_checked()


def open_slip(phone: Phone, credential: str) -> Page:
    page = phone.page
    page.goto(f"{phone.base}/s/{credential}")
    expect(page).to_have_url(f"{phone.base}/ballot")
    expect(page.get_by_text("张卫东", exact=True)).to_be_visible()
    return page


def assert_no_horizontal_scroll(page: Page, what: str) -> None:
    widths = page.evaluate(
        "() => ({document: document.documentElement.scrollWidth,"
        " body: document.body.scrollWidth, window: window.innerWidth})"
    )
    assert widths["window"] == 360, widths
    assert widths["document"] <= widths["window"], f"{what} scrolls sideways: {widths}"
    assert widths["body"] <= widths["window"], f"{what} scrolls sideways: {widths}"


def assert_only_own_server(phone: Phone) -> None:
    assert phone.traffic.urls, "no request seen"
    foreign = [url for url in phone.traffic.urls if not url.startswith(f"{phone.base}/")]
    assert not foreign, f"requests left the server: {foreign}"


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_full_vote_on_a_phone_stores_exactly_the_chosen_ratings(
        app: Flask, evaluation, phone: Phone) -> None:
    setup = evaluation(slips=5)
    page = open_slip(phone, setup.credentials[0])
    assert_no_horizontal_scroll(page, "the ballot")
    for name, rating in CHOICES.items():
        choose(page, name, rating)
    expect(member(page, "杨丽娟").locator('input[value^="abstain"]')).to_be_checked()

    page.get_by_role("button", name="检查选择").tap()
    expect(page.get_by_role("heading", name="请核对您的选择")).to_be_visible()
    for name, rating in CHOICES.items():
        expect(page.locator("table.review tr").filter(has_text=name).locator("td").last
               ).to_have_text(LABELS[rating])
    expect(page.locator("table.review tr").filter(has_text="杨丽娟").locator("td").last
           ).to_have_text("弃权")
    expect(page.get_by_text("有 1 位成员未选择等次，将按弃权处理。")).to_be_visible()
    assert_no_horizontal_scroll(page, "the review page")
    assert stored_ballots(app) == [], "the review stored something"

    page.get_by_role("button", name="确认提交").tap()
    expect(page).to_have_url(f"{phone.base}/thanks")
    expect(page.get_by_role("heading", name="投票成功，谢谢！")).to_be_visible()
    assert_no_horizontal_scroll(page, "the thank-you page")

    ids = dict(zip([row.name for row in ROSTER], setup.member_ids, strict=True))
    assert stored_ballots(app) == [{ids[name]: rating for name, rating in CHOICES.items()}]
    assert_only_own_server(phone)


def test_going_back_from_the_review_keeps_the_choices(app: Flask, evaluation, phone: Phone) -> None:
    setup = evaluation()
    page = open_slip(phone, setup.credentials[0])
    choose(page, "赵建华", "basically_competent")
    choose(page, "刘晓燕", "excellent")
    page.get_by_role("button", name="检查选择").tap()
    page.get_by_role("button", name="返回修改").tap()
    expect(member(page, "赵建华").locator('input[value^="basically_competent"]')).to_be_checked()
    expect(member(page, "刘晓燕").locator('input[value^="excellent"]')).to_be_checked()
    expect(member(page, "张卫东").locator('input[value^="abstain"]')).to_be_checked()
    assert stored_ballots(app) == []


def test_ballot_review_and_thanks_each_weigh_under_60_kb(evaluation, phone_factory) -> None:
    setup = evaluation()
    phone = phone_factory(javascript=True)
    page = phone.page
    # Routing turns the browser's cache off: each page is weighed as a first visit would fetch it.
    page.route("**/*", lambda route: route.continue_())
    weights = {}
    open_slip(phone, setup.credentials[0])
    weights["ballot"] = phone.traffic.weigh(page)
    for name, rating in list(CHOICES.items())[:3]:
        choose(page, name, rating)
    phone.traffic.weigh(page)  # taps fetch nothing; start the review's count afresh
    page.get_by_role("button", name="检查选择").tap()
    expect(page.get_by_role("heading", name="请核对您的选择")).to_be_visible()
    weights["review"] = phone.traffic.weigh(page)
    page.get_by_role("button", name="确认提交").tap()
    expect(page).to_have_url(f"{phone.base}/thanks")
    weights["thanks"] = phone.traffic.weigh(page)

    assert any(url.endswith("/static/app.css") for _, (_, parts) in weights.items()
               for url in (key.split()[1] for key in parts)), weights
    assert any("/static/ballot.js" in key for key in weights["ballot"][1]), weights["ballot"]
    for what, (total, parts) in weights.items():
        assert total < PAGE_WEIGHT_LIMIT, f"{what} page weighs {total} bytes: {parts}"
    summary = ", ".join(f"{what} {total} B" for what, (total, _) in weights.items())
    print(f"page weight with 8 members: {summary}: {weights}")
    assert_only_own_server(phone)


def test_excellent_cap_with_javascript_counts_and_blocks_the_submit(
        app: Flask, evaluation, phone_factory) -> None:
    setup = evaluation(cap=1)
    phone = phone_factory(javascript=True)
    page = open_slip(phone, setup.credentials[0])
    counter = page.locator("#counter")
    expect(counter).to_have_text("已评“优秀” 0 个，最多 1 个")
    choose(page, "张卫东", "excellent")
    expect(counter).to_have_text("已评“优秀” 1 个，最多 1 个")
    choose(page, "李红梅", "excellent")
    expect(counter).to_have_text("已评“优秀” 2 个，最多 1 个，请减少 1 个")
    expect(counter).to_have_class("counter over")

    posts_before = [url for url in phone.traffic.urls if url.endswith("/ballot")]
    page.get_by_role("button", name="检查选择").tap()
    expect(counter).to_be_in_viewport()
    expect(page.get_by_role("heading", name="请核对您的选择")).to_have_count(0)
    expect(page.locator("#error")).to_have_count(0)
    assert [url for url in phone.traffic.urls if url.endswith("/ballot")] == posts_before
    expect(member(page, "李红梅").locator('input[value^="excellent"]')).to_be_checked()
    assert stored_ballots(app) == []

    choose(page, "李红梅", "competent")
    expect(counter).to_have_text("已评“优秀” 1 个，最多 1 个")
    page.get_by_role("button", name="检查选择").tap()
    expect(page.get_by_role("heading", name="请核对您的选择")).to_be_visible()


def test_excellent_cap_without_javascript_is_refused_by_the_server_keeping_the_choices(
        app: Flask, evaluation, phone_factory) -> None:
    setup = evaluation(cap=1)
    phone = phone_factory(javascript=False)
    page = open_slip(phone, setup.credentials[0])
    expect(page.locator("#counter")).to_be_hidden()
    expect(page.get_by_text("每张票最多评 1 个“优秀”。")).to_be_visible()
    choose(page, "张卫东", "excellent")
    choose(page, "李红梅", "excellent")
    choose(page, "王志强", "incompetent")

    with page.expect_response(lambda r: r.url.endswith("/ballot")
                              and r.request.method == "POST") as refused:
        page.get_by_role("button", name="检查选择").tap()
    assert refused.value.status == 200
    expect(page.get_by_role("alert")).to_have_text(
        "每张票最多评 1 个“优秀”，您评了 2 个。请减少后再提交。")
    expect(page.get_by_role("alert")).to_be_in_viewport()
    for name, rating in [("张卫东", "excellent"), ("李红梅", "excellent"),
                         ("王志强", "incompetent"), ("赵建华", "abstain")]:
        expect(member(page, name).locator(f'input[value^="{rating}"]')).to_be_checked()
    assert_no_horizontal_scroll(page, "the refused ballot")
    assert stored_ballots(app) == []


def test_english_link_shows_the_ballot_in_english(evaluation, phone_factory) -> None:
    setup = evaluation()
    phone = phone_factory(javascript=False)
    page = open_slip(phone, setup.credentials[0])
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.get_by_role("link", name="English").tap()
    expect(page).to_have_url(f"{phone.base}/ballot")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # The page is served whole: no need to wait for words to appear.
    # Only the words tests/voting already fixes are spelled out; the rest must merely be English.
    choices = member(page, "张卫东").locator("label.choice").all_inner_texts()
    assert choices[0] == "Excellent" and choices[2] == "Basically competent", choices
    chinese = re.compile(r"[\u4e00-\u9fff]")
    assert not [text for text in choices if chinese.search(text)], choices
    buttons = page.get_by_role("button").all_inner_texts()
    assert buttons and not [text for text in buttons if chinese.search(text)], buttons
    assert_no_horizontal_scroll(page, "the English ballot")


def test_names_are_readable_and_every_rating_is_a_thumb_sized_target(
        evaluation, phone_factory) -> None:
    setup = evaluation()
    phone = phone_factory(javascript=True)
    page = open_slip(phone, setup.credentials[0])
    for name in (row.name for row in ROSTER):
        size = page.get_by_text(name, exact=True).evaluate(
            "el => parseFloat(getComputedStyle(el).fontSize)")
        assert size >= 16, f"{name} is set in {size}px"
    body_size = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    assert body_size >= 16
    boxes = page.locator("label.choice").evaluate_all(
        "labels => labels.map(l => [l.innerText, l.getBoundingClientRect().width,"
        " l.getBoundingClientRect().height])")
    assert len(boxes) == 5 * len(ROSTER)
    small = [box for box in boxes if box[1] < 44 or box[2] < 44]
    assert not small, f"touch targets under 44 px: {small}"
    box = page.get_by_role("button", name="检查选择").bounding_box()
    assert box is not None and box["height"] >= 44, box
