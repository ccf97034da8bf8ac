"""The SVG pictures: well-formed XML, escaped text, the bars and points expected."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from ballot.reports.charts import RatingBar, rating_bars, score_spread

NS = {"svg": "http://www.w3.org/2000/svg"}
LABELS = {"excellent": "优秀", "competent": "称职", "basically_competent": "基本称职",
          "incompetent": "不称职", "abstain": "弃权"}


def test_rating_bars_stack_the_counts_on_one_scale() -> None:
    svg = rating_bars("民主测评", [
        RatingBar("王<建国>", {"excellent": 2, "competent": 1, "abstain": 0}),
        RatingBar("陈国华", {"competent": 1, "incompetent": 1, "abstain": 1}),
    ], LABELS)
    root = ET.fromstring(str(svg))
    assert root.get("role") == "img"
    assert root.find("svg:title", NS).text == "民主测评"
    segments = root.findall("svg:rect[@data-count]", NS)
    assert [(s.get("class"), s.get("data-count")) for s in segments] == [
        ("seg excellent", "2"), ("seg competent", "1"),
        ("seg competent", "1"), ("seg incompetent", "1"), ("seg abstain", "1"),
    ]
    # Both totals are 3: the two bars have the same length, the first segment twice the second.
    first = [Decimal(s.get("width")) for s in segments[:2]]
    second = [Decimal(s.get("width")) for s in segments[2:]]
    assert sum(first) == sum(second) == 420
    assert first[0] == 2 * first[1]
    assert "王<建国>" in ET.tostring(root, encoding="unicode").replace("&lt;", "<").replace("&gt;", ">")
    assert "<建国>" not in str(svg)  # escaped in the markup


def test_score_spread_places_points_and_band_lines() -> None:
    svg = score_spread("综合得分", [("甲", Decimal("91.71")), ("乙", Decimal("50")), ("丙", None)],
                       "无综合得分")
    root = ET.fromstring(str(svg))
    assert root.get("role") == "img"
    bands = root.findall("svg:line[@data-band]", NS)
    assert [b.get("data-band") for b in bands] == ["60", "80", "90"]
    assert [Decimal(b.get("x1")) for b in bands] == [120 + 252, 120 + 336, 120 + 378]
    points = root.findall("svg:circle", NS)
    assert [p.get("data-score") for p in points] == ["91.71", "50"]
    assert Decimal(points[0].get("cx")) == Decimal("505.18")  # 120 + 91.71 × 4.2
    assert root.find("svg:text[@class='missing']", NS).text == "无综合得分"


def test_empty_charts_are_still_valid() -> None:
    ET.fromstring(str(rating_bars("空", [], LABELS)))
    ET.fromstring(str(score_spread("空", [])))
