"""The analytics report opened in real Chromium from a file: every chart draws, offline."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from analytics_spark.report.model import ReportScope, build_report
from analytics_spark.report.render import render_report
from tests.e2e.browser import LAPTOP, Browsers
from tests.helpers.analytics_rows import board_rows

NOW = datetime(2026, 3, 27, 12, tzinfo=UTC)


def test_report_file_draws_every_chart_without_the_network(
    browsers: Browsers, tmp_path: Path, screenshots_dir: Path
) -> None:
    rows = board_rows("b1", NOW)
    rows.titles["m0"] = "<img src=x onerror=window.__pwned=1>"
    report = build_report(rows.report_input("Platform team"), ReportScope(NOW, board_id="b1"))
    path = tmp_path / "report.html"
    path.write_text(render_report(report), encoding="utf-8")

    browser = browsers.launch(allow_microphone=False)
    page = browser.new_page(viewport=LAPTOP)  # type: ignore[arg-type]
    errors: list[str] = []
    fetched: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda request: fetched.append(request.url))
    try:
        page.goto(path.as_uri())
        charts = page.locator("[data-chart]")
        assert charts.count() == 10
        page.wait_for_function(
            "[...document.querySelectorAll('[data-chart]')].every(div =>"
            " div.classList.contains('js-plotly-plot') && div.querySelector('svg.main-svg'))",
            timeout=20_000,
        )
        # Something was drawn in each: bars, slices, points, lines or heat-map cells.
        drawn = page.evaluate(
            """[...document.querySelectorAll('[data-chart]')].map(div =>
                 [div.dataset.chart, div.querySelectorAll(
                   'path.point, g.slice, path.js-line, .hm image, .hm, g.points path').length])"""
        )
        assert all(count > 0 for _, count in drawn), drawn
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#meeting-table").get_by_text("<img src=x").count() == 1
        page.screenshot(path=str(screenshots_dir / "analytics-report.png"), full_page=True)
    finally:
        page.close()
    assert errors == []
    assert [url for url in fetched if not url.startswith("file:")] == []
