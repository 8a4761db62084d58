"""The analytics report model from hand-made analytics rows, and its HTML."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from analytics_spark.report.charts import MAX_POINTS, figures
from analytics_spark.report.model import (
    OTHERS,
    TABLE_MEETINGS,
    TOP_PEOPLE,
    ReportInput,
    ReportScope,
    build_report,
    monday,
    week_range,
)
from analytics_spark.report.render import render_report
from tests.helpers.analytics_rows import board_rows
from tests.helpers.ports import free_port
from vori.cli.main import app
from vori.db.tables import (
    AnalyticsBoardWeek,
    AnalyticsKeywordWeek,
    AnalyticsMeeting,
    AnalyticsPersonWeek,
    AnalyticsSpeaker,
    AnalyticsTopic,
)

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
SCOPE = ReportScope(generated_at=NOW)
EVIL = "<script>alert(1)</script>"


def meeting(meeting_id: str, started_at: datetime, **overrides: Any) -> AnalyticsMeeting:
    values: dict[str, Any] = {
        "meeting_id": meeting_id,
        "board_id": "b1",
        "started_at": started_at,
        "duration_s": 1800.0,
        "speech_s": 1500.0,
        "silence_share": 0.17,
        "overlap_s": 30.0,
        "interruptions": 2,
        "questions": 4,
        "decisions": 1,
        "action_items": 3,
        "speakers": 2,
        "words": 3000,
        "gini": 0.2,
        "efficiency": 70.0,
        "input_fingerprint": "f",
        "computed_at": NOW,
    }
    values.update(overrides)
    return AnalyticsMeeting(**values)


def speaker(
    meeting_id: str, name: str, talk_s: float, words: int, user_id: str | None = None
) -> AnalyticsSpeaker:
    return AnalyticsSpeaker(
        meeting_id=meeting_id,
        participant_id=f"p-{name}",
        speaker=name,
        user_id=user_id,
        talk_s=talk_s,
        talk_share=0.0,
        words=words,
        wpm=words / (talk_s / 60) if talk_s else 0.0,
        turns=5,
        longest_monologue_s=60.0,
        interruptions_made=1,
        interrupted=0,
        overlap_s=5.0,
        questions=1,
    )


def board_week(week: date, created: int, completed: int, overdue: int, median: float | None):
    return AnalyticsBoardWeek(
        board_id="b1",
        week=week,
        meetings=2,
        meeting_hours=1.0,
        items_created=created,
        items_completed=completed,
        items_overdue=overdue,
        median_time_to_done_h=median,
        computed_at=NOW,
    )


def person_week(person: str, week: date, talk_s: float, board: str = "b1"):
    return AnalyticsPersonWeek(
        board_id=board,
        person=person,
        week=week,
        name=person.title(),
        meetings=1,
        talk_s=talk_s,
        talk_share=0.5,
        words=100,
        wpm=130.0,
        computed_at=NOW,
    )


def sample() -> ReportInput:
    w1, w2, w4 = date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 23)
    return ReportInput(
        meetings=[
            meeting("m1", datetime(2026, 3, 3, 9, tzinfo=UTC)),
            meeting("m2", datetime(2026, 3, 10, 9, tzinfo=UTC), efficiency=50.0),
        ],
        speakers=[
            speaker("m1", "Ana", 600.0, 1300, user_id="u-ana"),
            speaker("m1", "Bo", 300.0, 700),
            speaker("m2", "Ana K.", 200.0, 400, user_id="u-ana"),  # renamed later: same person
            speaker("m2", "Bo", 100.0, 260),
            speaker("m2", "Cy", 0.0, 0),  # joined, never spoke
        ],
        # Listed out of order on purpose; week 3 has no row at all.
        board_weeks=[
            board_week(w4, 1, 4, 0, 30.0),
            board_week(w1, 5, 1, 0, None),
            board_week(w2, 3, 2, 1, 48.0),
        ],
        person_weeks=[
            person_week("u-ana", w2, 200.0),
            person_week("u-ana", w1, 600.0),
            person_week("Bo", w1, 300.0),
            person_week("Bo", w2, 100.0),
            person_week("Bo", w2, 100.0, board="b2"),  # the same week on another board adds up
        ],
        topics=[
            AnalyticsTopic(
                board_id="b1",
                topic=0,
                terms=[["budget", 0.4], ["invoice", 0.2], ["q3", 0.1]],
                meetings=2,
                share=0.6,
                computed_at=NOW,
            )
        ],
        keyword_weeks=[
            AnalyticsKeywordWeek(
                board_id="b1", week=w2, term="budget", score=0.9, meetings=1, computed_at=NOW
            ),
            AnalyticsKeywordWeek(
                board_id="b1", week=w1, term="launch", score=0.3, meetings=1, computed_at=NOW
            ),
        ],
        titles={"m1": "Weekly sync", "m2": EVIL},
        board_names={"b1": "Platform"},
        has_runs=True,
        last_run_at=NOW,
    )


def test_talk_shares_of_everyone_sum_to_one_and_follow_the_user_not_the_name() -> None:
    report = build_report(sample(), SCOPE)
    assert sum(p.share for p in report.people) == pytest.approx(1.0)
    ana = report.people[0]
    assert ana.key == "u-ana"
    assert ana.name == "Ana K."  # the name of their latest meeting
    assert ana.talk_s == 800.0
    assert ana.share == pytest.approx(800 / 1200)
    assert ana.wpm == pytest.approx(1700 / (800 / 60))
    assert ana.meetings == 2
    cy = next(p for p in report.people if p.name == "Cy")
    assert cy.share == 0.0
    assert cy.wpm is None  # no talk time: no pace, not zero
    assert cy.wpm_per_meeting == ()


def test_each_meetings_shares_sum_to_one_newest_first() -> None:
    report = build_report(sample(), SCOPE)
    assert [m.meeting_id for m in report.meeting_shares] == ["m2", "m1"]
    for shares in report.meeting_shares:
        assert sum(share for _, share in shares.shares) == pytest.approx(1.0)
    (ana, ana_share), (bo, bo_share) = report.meeting_shares[1].shares
    assert (ana, bo) == ("Ana K.", "Bo")
    assert ana_share == pytest.approx(2 / 3)
    assert bo_share == pytest.approx(1 / 3)


def test_participation_weeks_in_order_and_each_week_sums_to_one() -> None:
    report = build_report(sample(), SCOPE)
    part = report.participation
    assert part.weeks == (date(2026, 3, 2), date(2026, 3, 9))
    for n in range(len(part.weeks)):
        assert sum(shares[n] for _, shares in part.series) == pytest.approx(1.0)
    by_name = dict(part.series)
    assert by_name["Bo"][1] == pytest.approx(200 / 400)  # both boards' week


def test_participation_folds_people_past_the_top_into_others() -> None:
    week = date(2026, 3, 2)
    rows = ReportInput(
        person_weeks=[person_week(f"p{n:02}", week, 100.0 + n) for n in range(TOP_PEOPLE + 3)]
    )
    series = build_report(rows, SCOPE).participation.series
    assert len(series) == TOP_PEOPLE + 1
    assert series[-1][0] == OTHERS
    assert sum(shares[0] for _, shares in series) == pytest.approx(1.0)


def test_action_flow_weeks_in_order_with_the_missing_week_filled() -> None:
    report = build_report(sample(), SCOPE)
    assert [w.week for w in report.flow] == [
        date(2026, 3, 2),
        date(2026, 3, 9),
        date(2026, 3, 16),
        date(2026, 3, 23),
    ]
    assert [(w.created, w.completed, w.overdue) for w in report.flow] == [
        (5, 1, 0),
        (3, 2, 1),
        (0, 0, 0),
        (1, 4, 0),
    ]
    (board,) = report.time_to_done
    assert board.board == "Platform"
    assert board.points == ((date(2026, 3, 9), 48.0), (date(2026, 3, 23), 30.0))


def test_totals_topics_keywords_and_meeting_table() -> None:
    report = build_report(sample(), SCOPE)
    assert report.state == "ok"
    assert report.totals.meetings == 2
    assert report.totals.hours == pytest.approx(1.0)
    assert report.totals.median_efficiency == pytest.approx(60.0)
    assert report.topics[0].label == "0: budget, invoice, q3"
    assert report.keywords.terms == ("budget", "launch")
    assert report.keywords.weeks == (date(2026, 3, 2), date(2026, 3, 9))
    assert report.keywords.scores == ((0.0, 0.9), (0.3, 0.0))
    assert [m.title for m in report.meetings] == [EVIL, "Weekly sync"]
    assert report.meetings[0].board == "Platform"
    assert [w.meetings for w in report.meeting_weeks] == [1, 1]


def test_two_people_with_one_name_stay_apart() -> None:
    rows = ReportInput(
        meetings=[meeting("m1", NOW)],
        speakers=[
            speaker("m1", "Sam", 100.0, 200, user_id="u1"),
            speaker("m1", "Sam", 50.0, 100, user_id="u2"),
        ],
    )
    names = [p.name for p in build_report(rows, SCOPE).people]
    assert len(set(names)) == 2
    assert names[0] == "Sam"


def test_no_runs_and_empty_scope_are_told_apart() -> None:
    assert build_report(ReportInput(), SCOPE).state == "no_runs"
    empty = build_report(ReportInput(has_runs=True), ReportScope(NOW, board_id="b9"))
    assert empty.state == "empty_scope"
    assert empty.board_name == "b9"
    assert empty.totals.meetings == 0
    assert empty.people == ()
    # A board's topics cover all time: alone they are no report of a period.
    topics_only = ReportInput(topics=sample().topics, has_runs=True)
    assert build_report(topics_only, SCOPE).state == "empty_scope"


def test_empty_report_says_how_to_run_the_jobs_and_carries_no_chart_code() -> None:
    page = render_report(build_report(ReportInput(), SCOPE))
    assert "No analytics yet" in page
    assert "vori analytics run" in page
    assert "Plotly" not in page


def test_user_text_is_escaped_in_the_page_and_in_the_chart_data() -> None:
    rows = sample()
    rows.speakers[1].speaker = "</script><img src=x onerror=alert(2)>"
    rows.topics[0].terms = [["<b>bold</b>", 0.5]]
    page = render_report(build_report(rows, SCOPE))
    assert EVIL not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the table shows it as text
    assert "<img src=x" not in page
    assert "<b>bold</b>" not in page
    # The only </script> tags are the two that close the report's own scripts.
    assert page.count("</script>") == 2
    figures_json = re.search(r"const figures = (\{.*?\});\n", page, re.S)
    assert figures_json is not None
    figures = json.loads(figures_json.group(1))
    assert set(figures) >= {"talk-share", "meeting-shares", "action-flow", "topics"}
    # Plotly reads tags inside its labels: they reach it as entities, shown literally.
    labels = json.dumps(figures["meeting-shares"]["data"])
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in labels


def test_page_is_self_contained() -> None:
    page = render_report(build_report(sample(), SCOPE))
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?https?:", page)
    assert 'id="chart-talk-share"' in page
    assert "Plotly.newPlot" in page


def test_weeks_are_mondays_in_order() -> None:
    assert monday(date(2026, 3, 8)) == date(2026, 3, 2)  # a Sunday
    assert week_range([date(2026, 3, 17), date(2026, 3, 2)]) == (
        date(2026, 3, 2),
        date(2026, 3, 9),
        date(2026, 3, 16),
    )
    assert week_range([]) == ()


def test_times_in_the_page_are_utc_whatever_zone_the_database_answered_in() -> None:
    seoul = timezone(timedelta(hours=9))
    rows = ReportInput(
        meetings=[meeting("m1", datetime(2026, 3, 3, 9, 30, tzinfo=seoul))],
        speakers=[speaker("m1", "Ana", 60.0, 130)],
        titles={"m1": "Standup"},
    )
    page = render_report(build_report(rows, SCOPE))
    assert "<tr><td>2026-03-03 00:30</td>" in page


def test_a_big_scope_keeps_the_page_light_and_says_what_it_left_out() -> None:
    rows = board_rows("b1", NOW, meetings=2100, weeks=52)
    report = build_report(rows.report_input("Platform"), SCOPE)
    assert len(report.meetings) == 2100
    assert len(report.table_meetings) == TABLE_MEETINGS
    assert report.meetings_left_out == 2100 - TABLE_MEETINGS
    drawn = figures(report)
    assert len(drawn["efficiency"]["data"][0]["x"]) == MAX_POINTS
    assert "2,000 most recent of 2,100" in json.dumps(drawn["efficiency"]["layout"])
    assert {trace["boxpoints"] for trace in drawn["pace"]["data"]} == {"outliers"}
    assert sum(w.meetings for w in report.meeting_weeks) == 2100  # the weekly chart has all
    page = render_report(report)
    assert len(re.findall(r"<tr><td>\d{4}-", page)) == TABLE_MEETINGS
    assert f"{2100 - TABLE_MEETINGS} older ones" in page


def test_the_command_without_a_database_says_how_to_get_one(tmp_path: Path) -> None:
    url = f"postgresql://vori@127.0.0.1:{free_port()}/vori"  # nothing listens there
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        app, ["analytics", "report", "--out", str(out)], env={"VORI_DATABASE_URL": url}
    )
    assert result.exit_code == 1
    assert "cannot read the database" in result.output
    assert "vori up" in result.output
    assert not out.exists()


def test_a_meetings_shares_fold_people_past_the_top_into_others_last() -> None:
    crowd = [speaker("m1", f"P{n:02}", 100.0 + n, 200) for n in range(TOP_PEOPLE + 2)]
    rows = ReportInput(meetings=[meeting("m1", NOW)], speakers=crowd)
    (shares,) = build_report(rows, SCOPE).meeting_shares
    assert len(shares.shares) == TOP_PEOPLE + 1
    others, others_share = shares.shares[-1]
    assert others == OTHERS
    assert others_share == pytest.approx(201.0 / sum(s.talk_s for s in crowd))  # P00 and P01
    assert sum(share for _, share in shares.shares) == pytest.approx(1.0)


def test_charts_without_signal_are_left_out_and_keyword_rows_scale_to_their_peak() -> None:
    rows = sample()
    for week in rows.board_weeks:
        week.items_created = week.items_completed = week.items_overdue = 0
    drawn = figures(build_report(rows, SCOPE))
    assert "action-flow" not in drawn  # boards without cards: no flat line at zero
    heat = drawn["keyword-trends"]["data"][0]
    assert heat["y"] == ["launch", "budget"]  # strongest on top
    assert heat["z"] == [[1.0, 0.0], [0.0, 1.0]]
    assert heat["customdata"] == [[0.3, 0.0], [0.0, 0.9]]


def test_a_term_that_leads_week_after_week_ranks_above_a_one_week_spike() -> None:
    def keyword(term: str, week: date, score: float) -> AnalyticsKeywordWeek:
        return AnalyticsKeywordWeek(
            board_id="b1", week=week, term=term, score=score, meetings=1, computed_at=NOW
        )

    w1, w2, w3 = date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)
    rows = ReportInput(
        keyword_weeks=[
            keyword("spike", w1, 10.0),
            keyword("steady", w1, 1.0),
            keyword("steady", w2, 1.0),
            keyword("steady", w3, 1.0),
            keyword("minor", w2, 0.5),
        ],
        has_runs=True,
    )
    trends = build_report(rows, SCOPE).keywords
    assert trends.terms == ("steady", "spike", "minor")
    assert trends.scores[1] == (10.0, 0.0, 0.0)  # the raw scores stay as stored
