"""The analytics report as plain data: rows of the analytics tables in, a report model out.

Pure: no database, no clock, no HTML. The loader (`load.py`) reads the rows for a scope,
the charts and the template (`charts.py`, `render.py`) only draw what this module decided.

One module because the report's dataclasses and the pure functions that fill them from one
`ReportInput` are one computation; loading, charts and rendering already live apart.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from vori.db.tables import (
    AnalyticsBoardWeek,
    AnalyticsKeywordWeek,
    AnalyticsMeeting,
    AnalyticsPersonWeek,
    AnalyticsSpeaker,
    AnalyticsTopic,
)

# Charts stay readable: the busiest people get their own colour, the rest are "others".
TOP_PEOPLE = 10
TOP_KEYWORDS = 12
SHARE_MEETINGS = 12  # most recent meetings in the per-meeting talk-share chart
TABLE_MEETINGS = 500  # rows of the per-meeting table, most recent first
OTHERS = "others"
NO_BOARD = "no board"
# Okabe-Ito, then Tableau 10: told apart by most colour-blind readers.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#4E79A7",
    "#B07AA1",
    "#9C755F",
)
OTHERS_COLOUR = "#B0B0B0"

State = Literal["ok", "no_runs", "empty_scope"]


@dataclass(frozen=True)
class ReportScope:
    """What the report covers and when it was made."""

    generated_at: datetime
    board_id: str | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class ReportInput:
    """The analytics rows of one scope, as the loader read them."""

    meetings: Sequence[AnalyticsMeeting] = ()
    speakers: Sequence[AnalyticsSpeaker] = ()
    board_weeks: Sequence[AnalyticsBoardWeek] = ()
    person_weeks: Sequence[AnalyticsPersonWeek] = ()
    topics: Sequence[AnalyticsTopic] = ()
    keyword_weeks: Sequence[AnalyticsKeywordWeek] = ()
    titles: Mapping[str, str] = field(default_factory=dict)  # meeting id -> title
    board_names: Mapping[str, str] = field(default_factory=dict)  # board id -> name
    has_runs: bool = False  # any batch results at all, in any scope
    last_run_at: datetime | None = None


@dataclass(frozen=True)
class Totals:
    meetings: int
    hours: float
    people: int
    words: int
    questions: int
    decisions: int
    action_items: int
    median_efficiency: float | None
    mean_gini: float | None


@dataclass(frozen=True)
class Person:
    """One person over every meeting of the scope."""

    key: str  # user id, else the spoken name (as in analytics_person_weeks)
    name: str  # unique within the report
    colour: str
    meetings: int
    talk_s: float
    share: float  # of everyone's talk time in the scope
    words: int
    wpm: float | None  # words over talk time; None without talk time
    wpm_per_meeting: tuple[float, ...]
    turns: int
    interruptions_made: int
    interrupted: int
    questions: int


@dataclass(frozen=True)
class MeetingShares:
    """Who held the floor in one meeting: (person name, share), largest first."""

    meeting_id: str
    title: str
    started_at: datetime
    shares: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class MeetingWeek:
    week: date
    meetings: int
    hours: float
    mean_efficiency: float | None


@dataclass(frozen=True)
class Participation:
    """Each person's share of a week's talk time, per week; shares of a week sum to 1."""

    weeks: tuple[date, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]  # (person name, share per week)


@dataclass(frozen=True)
class FlowWeek:
    """Action items of a week, summed over the boards in scope."""

    week: date
    created: int
    completed: int
    overdue: int


@dataclass(frozen=True)
class TimeToDone:
    """Median hours from a card's creation to done, per week, of one board."""

    board: str
    points: tuple[tuple[date, float], ...]


@dataclass(frozen=True)
class Topic:
    board: str
    number: int
    terms: tuple[tuple[str, float], ...]  # strongest first
    meetings: int
    share: float

    @property
    def label(self) -> str:
        return f"{self.number}: " + ", ".join(term for term, _ in self.terms[:3])


@dataclass(frozen=True)
class KeywordTrends:
    """TF-IDF weight of the strongest terms per week (terms x weeks), summed over boards."""

    weeks: tuple[date, ...]
    terms: tuple[str, ...]
    scores: tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class MeetingLine:
    """A row of the per-meeting table."""

    meeting_id: str
    title: str
    board: str
    started_at: datetime
    duration_min: float
    speakers: int
    words: int
    questions: int
    decisions: int
    action_items: int
    silence_share: float
    overlap_s: float
    interruptions: int
    gini: float
    efficiency: float


@dataclass(frozen=True)
class Report:
    """Everything the report shows, decided; the renderer only draws it."""

    scope: ReportScope
    state: State
    board_name: str | None
    last_run_at: datetime | None
    totals: Totals
    people: tuple[Person, ...]
    meeting_shares: tuple[MeetingShares, ...]
    meeting_weeks: tuple[MeetingWeek, ...]
    participation: Participation
    flow: tuple[FlowWeek, ...]
    time_to_done: tuple[TimeToDone, ...]
    topics: tuple[Topic, ...]
    keywords: KeywordTrends
    meetings: tuple[MeetingLine, ...]  # newest first

    @property
    def table_meetings(self) -> tuple[MeetingLine, ...]:
        """The rows of the per-meeting table: the most recent TABLE_MEETINGS."""
        return self.meetings[:TABLE_MEETINGS]

    @property
    def meetings_left_out(self) -> int:
        """Older meetings that count in the charts but have no row in the table."""
        return max(0, len(self.meetings) - TABLE_MEETINGS)

    @property
    def colours(self) -> dict[str, str]:
        """Person name -> colour, the same in every chart."""
        return {person.name: person.colour for person in self.people} | {OTHERS: OTHERS_COLOUR}


def monday(day: date) -> date:
    """The Monday of a day's week (the analytics tables' week key)."""
    return day - timedelta(days=day.weekday())


def week_range(weeks: Iterable[date]) -> tuple[date, ...]:
    """Every Monday from the first to the last week given, in order, gaps filled."""
    mondays = {monday(week) for week in weeks}
    if not mondays:
        return ()
    first, last = min(mondays), max(mondays)
    return tuple(first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1))


def person_key(speaker: AnalyticsSpeaker) -> str:
    """The key analytics_person_weeks uses: the user id, else the spoken name."""
    return speaker.user_id or speaker.speaker


def unique_names(names: Mapping[str, str]) -> dict[str, str]:
    """Key -> display name, with a number added where two people share a name."""
    seen: dict[str, int] = defaultdict(int)
    result: dict[str, str] = {}
    for key, name in names.items():
        shown = name.strip() or key
        seen[shown] += 1
        result[key] = shown if seen[shown] == 1 else f"{shown} ({seen[shown]})"
    return result


def build_report(rows: ReportInput, scope: ReportScope) -> Report:
    """The report of one scope from its analytics rows."""
    board_name = None
    if scope.board_id is not None:
        board_name = rows.board_names.get(scope.board_id, scope.board_id)
    # Topics describe a board over all time: alone they do not make a report of a period.
    has_data = bool(rows.meetings or rows.board_weeks or rows.person_weeks or rows.keyword_weeks)
    state: State = "ok" if has_data else ("empty_scope" if rows.has_runs else "no_runs")

    names = _names(rows)
    people = _people(rows, names)
    return Report(
        scope=scope,
        state=state,
        board_name=board_name,
        last_run_at=rows.last_run_at,
        totals=_totals(rows, len(people)),
        people=people,
        meeting_shares=_meeting_shares(rows, names, people),
        meeting_weeks=_meeting_weeks(rows.meetings),
        participation=_participation(rows.person_weeks, names),
        flow=_flow(rows.board_weeks),
        time_to_done=_time_to_done(rows.board_weeks, rows.board_names),
        topics=_topics(rows.topics, rows.board_names),
        keywords=_keywords(rows.keyword_weeks),
        meetings=tuple(_meeting_lines(rows)),
    )


def _totals(rows: ReportInput, people: int) -> Totals:
    meetings = rows.meetings
    return Totals(
        meetings=len(meetings),
        hours=sum(m.duration_s for m in meetings) / 3600,
        people=people,
        words=sum(m.words for m in meetings),
        questions=sum(m.questions for m in meetings),
        decisions=sum(m.decisions for m in meetings),
        action_items=sum(m.action_items for m in meetings),
        median_efficiency=statistics.median(m.efficiency for m in meetings) if meetings else None,
        mean_gini=statistics.fmean(m.gini for m in meetings) if meetings else None,
    )


def _names(rows: ReportInput) -> dict[str, str]:
    """Person key -> unique display name: the name of their latest meeting or week."""
    started = {m.meeting_id: m.started_at.timestamp() for m in rows.meetings}
    latest: dict[str, tuple[float, str]] = {}
    for week in rows.person_weeks:
        when = datetime.combine(week.week, time(), tzinfo=UTC).timestamp()
        if week.person not in latest or when > latest[week.person][0]:
            latest[week.person] = (when, week.name)
    for speaker in rows.speakers:
        key = person_key(speaker)
        when = started.get(speaker.meeting_id, float("-inf"))
        if key not in latest or when >= latest[key][0]:
            latest[key] = (when, speaker.speaker)
    return unique_names({key: name for key, (_, name) in sorted(latest.items())})


def _people(rows: ReportInput, names: Mapping[str, str]) -> tuple[Person, ...]:
    by_key: dict[str, list[AnalyticsSpeaker]] = defaultdict(list)
    for speaker in rows.speakers:
        by_key[person_key(speaker)].append(speaker)
    talk = {key: sum(s.talk_s for s in speakers) for key, speakers in by_key.items()}
    total_talk = sum(talk.values())
    order = sorted(by_key, key=lambda key: (-talk[key], names[key]))
    people = []
    for rank, key in enumerate(order):
        speakers = by_key[key]
        words = sum(s.words for s in speakers)
        talk_s = talk[key]
        people.append(
            Person(
                key=key,
                name=names[key],
                colour=PALETTE[rank] if rank < TOP_PEOPLE else OTHERS_COLOUR,
                meetings=len({s.meeting_id for s in speakers}),
                talk_s=talk_s,
                share=talk_s / total_talk if total_talk > 0 else 0.0,
                words=words,
                wpm=words / (talk_s / 60) if talk_s > 0 else None,
                wpm_per_meeting=tuple(s.wpm for s in speakers if s.talk_s > 0),
                turns=sum(s.turns for s in speakers),
                interruptions_made=sum(s.interruptions_made for s in speakers),
                interrupted=sum(s.interrupted for s in speakers),
                questions=sum(s.questions for s in speakers),
            )
        )
    return tuple(people)


def _meeting_shares(
    rows: ReportInput, names: Mapping[str, str], people: Sequence[Person]
) -> tuple[MeetingShares, ...]:
    """Recent meetings' talk shares; people outside the scope's top ten are "others"."""
    named = {person.name for person in people[:TOP_PEOPLE]}
    by_meeting: dict[str, list[AnalyticsSpeaker]] = defaultdict(list)
    for speaker in rows.speakers:
        by_meeting[speaker.meeting_id].append(speaker)
    recent = sorted(rows.meetings, key=lambda m: (m.started_at, m.meeting_id), reverse=True)
    result = []
    for meeting in recent[:SHARE_MEETINGS]:
        speakers = by_meeting.get(meeting.meeting_id, [])
        total = sum(s.talk_s for s in speakers)
        if total <= 0:
            continue
        shares: dict[str, float] = defaultdict(float)
        for s in speakers:
            name = names[person_key(s)]
            shares[name if name in named else OTHERS] += s.talk_s / total
        result.append(
            MeetingShares(
                meeting_id=meeting.meeting_id,
                title=rows.titles.get(meeting.meeting_id, meeting.meeting_id),
                started_at=meeting.started_at,
                shares=tuple(
                    sorted(shares.items(), key=lambda item: (item[0] == OTHERS, -item[1], item[0]))
                ),
            )
        )
    return tuple(result)


def _meeting_weeks(meetings: Sequence[AnalyticsMeeting]) -> tuple[MeetingWeek, ...]:
    by_week: dict[date, list[AnalyticsMeeting]] = defaultdict(list)
    for meeting in meetings:
        by_week[monday(meeting.started_at.date())].append(meeting)
    return tuple(
        MeetingWeek(
            week=week,
            meetings=len(by_week.get(week, [])),
            hours=sum(m.duration_s for m in by_week.get(week, [])) / 3600,
            mean_efficiency=(
                statistics.fmean(m.efficiency for m in by_week[week]) if week in by_week else None
            ),
        )
        for week in week_range(by_week)
    )


def _participation(
    person_weeks: Sequence[AnalyticsPersonWeek], names: Mapping[str, str]
) -> Participation:
    weeks = week_range(w.week for w in person_weeks)
    talk: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for row in person_weeks:
        talk[row.person][monday(row.week)] += row.talk_s  # summed over boards
    week_total = {week: sum(person[week] for person in talk.values()) for week in weeks}
    order = sorted(talk, key=lambda key: (-sum(talk[key].values()), key))
    named, rest = order[:TOP_PEOPLE], order[TOP_PEOPLE:]

    def shares(keys: Sequence[str]) -> tuple[float, ...]:
        return tuple(
            sum(talk[key][week] for key in keys) / week_total[week] if week_total[week] > 0 else 0.0
            for week in weeks
        )

    series = [(names.get(key, key), shares([key])) for key in named]
    if rest:
        series.append((OTHERS, shares(rest)))
    return Participation(weeks=weeks, series=tuple(series))


def _flow(board_weeks: Sequence[AnalyticsBoardWeek]) -> tuple[FlowWeek, ...]:
    sums: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in board_weeks:
        week = sums[monday(row.week)]
        week[0] += row.items_created
        week[1] += row.items_completed
        week[2] += row.items_overdue
    return tuple(FlowWeek(week, *sums.get(week, [0, 0, 0])) for week in week_range(sums))


def _time_to_done(
    board_weeks: Sequence[AnalyticsBoardWeek], board_names: Mapping[str, str]
) -> tuple[TimeToDone, ...]:
    # Medians of different boards do not add up to a median: one line per board.
    points: dict[str, list[tuple[date, float]]] = defaultdict(list)
    for row in board_weeks:
        if row.median_time_to_done_h is not None:
            points[row.board_id].append((monday(row.week), row.median_time_to_done_h))
    return tuple(
        TimeToDone(board=board_names.get(board, board), points=tuple(sorted(points[board])))
        for board in sorted(points, key=lambda b: board_names.get(b, b))
    )


def _topics(topics: Sequence[AnalyticsTopic], board_names: Mapping[str, str]) -> tuple[Topic, ...]:
    result = [
        Topic(
            board=board_names.get(row.board_id, row.board_id),
            number=row.topic,
            terms=tuple((str(term), float(weight)) for term, weight in row.terms),
            meetings=row.meetings,
            share=row.share,
        )
        for row in topics
    ]
    return tuple(sorted(result, key=lambda t: (t.board, -t.share, t.number)))


def _keywords(keyword_weeks: Sequence[AnalyticsKeywordWeek]) -> KeywordTrends:
    weeks = week_range(row.week for row in keyword_weeks)
    score: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for row in keyword_weeks:
        score[row.term][monday(row.week)] += row.score
    # Rank by how much each term leads its weeks (score / the week's strongest, summed):
    # a term strong week after week ranks above a one-week spike of a bigger number
    # (raw scores grow with the week's meetings and one long meeting can dwarf the rest).
    strongest: dict[date, float] = defaultdict(float)
    for by_week in score.values():
        for week, value in by_week.items():
            strongest[week] = max(strongest[week], value)

    def lead(term: str) -> float:
        return sum(v / strongest[w] for w, v in score[term].items() if strongest[w] > 0)

    terms = sorted(score, key=lambda term: (-lead(term), term))[:TOP_KEYWORDS]
    return KeywordTrends(
        weeks=weeks,
        terms=tuple(terms),
        scores=tuple(tuple(score[term].get(week, 0.0) for week in weeks) for term in terms),
    )


def _meeting_lines(rows: ReportInput) -> list[MeetingLine]:
    recent = sorted(rows.meetings, key=lambda m: (m.started_at, m.meeting_id), reverse=True)
    return [
        MeetingLine(
            meeting_id=m.meeting_id,
            title=rows.titles.get(m.meeting_id, m.meeting_id),
            board=rows.board_names.get(m.board_id, m.board_id) if m.board_id else NO_BOARD,
            started_at=m.started_at,
            duration_min=m.duration_s / 60,
            speakers=m.speakers,
            words=m.words,
            questions=m.questions,
            decisions=m.decisions,
            action_items=m.action_items,
            silence_share=m.silence_share,
            overlap_s=m.overlap_s,
            interruptions=m.interruptions,
            gini=m.gini,
            efficiency=m.efficiency,
        )
        for m in recent
    ]
