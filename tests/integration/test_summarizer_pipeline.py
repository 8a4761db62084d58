"""The summarizer worker against the real Kafka and PostgreSQL, rules path."""

from __future__ import annotations

import time

from sqlalchemy import delete

from tests.helpers.summarizer import (
    MEETINGS_DIR,
    AnnotatedMeeting,
    caught_up,
    create_meeting_rows,
    final_published,
    fresh_group,
    joined_events,
    load_meeting,
    proposals,
    publish,
    run_worker_until,
    running_worker,
    score,
    segments_of,
    summaries,
)
from vori.db.tables import SummarizerMeeting, SummarizerSegment
from vori.events import Event, MeetingEvent, TranscriptSegment
from vori.settings import Settings


def _rules(settings: Settings, **summarizer: object) -> Settings:
    # Only final summaries unless a test asks for rolling ones, so counts are exact. The
    # rules alone: these meetings are written, not spoken (the detector has its own tests
    # on real meetings in test_summarizer_real_meeting.py).
    quiet = {"refresh_words": 100_000, "refresh_interval_s": 3600.0, "detector": False}
    config = settings.summarizer.model_copy(update={"llm": "off", **quiet, **summarizer})
    return settings.model_copy(update={"summarizer": config})


def test_meeting_becomes_final_summary_and_expected_tasks(settings: Settings, unique: str) -> None:
    meeting = load_meeting(MEETINGS_DIR / "en_launch_sync.yaml", f"m-sum-{unique}")
    create_meeting_rows(settings, meeting)
    group = fresh_group(settings, f"sum-{unique}")
    publish(settings, segments_of(meeting))
    publish(settings, [MeetingEvent(type="ended", meeting_id=meeting.id)])
    run_worker_until(
        _rules(settings),
        group,
        final_published(settings, meeting.id, len(segments_of(meeting))),
    )

    [final] = [s for s in summaries(settings, meeting.id) if s.kind == "final"]
    assert final.source == "rules"
    assert final.overview
    assert final.decisions
    result = score(list(final.action_items), meeting.expected)
    assert (result.precision, result.recall, result.owner_accuracy) == (1.0, 1.0, 1.0), result
    assert result.due_accuracy == 1.0, result.misses
    pricing = next(i for i in final.action_items if "pricing" in i.title.lower())
    assert pricing.assignee_id == "u_bobchen"
    assert pricing.evidence
    assert pricing.evidence[0].quote.startswith("Then I'll update")
    assert pricing.evidence[0].segment_id == meeting.utterances[8].segment_id
    [proposal] = proposals(settings, meeting.id)  # no rolling summary: one proposal of all
    assert {i.task_key for i in proposal.items} == {i.task_key for i in final.action_items}


def test_rolling_summaries_then_change_of_mind_updates_the_same_keys(
    settings: Settings, unique: str
) -> None:
    meeting = load_meeting(MEETINGS_DIR / "en_launch_sync.yaml", f"m-roll-{unique}")
    create_meeting_rows(settings, meeting)
    segments = segments_of(meeting)
    group = fresh_group(settings, f"roll-{unique}")
    publish(settings, [*joined_events(meeting), *segments[:12]])
    # Where the rolling summaries fall depends on how many segments one check finds: on a
    # loaded machine a check after 8 of the 12 left the other 4 (under 60 words) waiting
    # for an hour. Words left over for 3 s are summarised too, so the 12 are always caught up.
    config = _rules(settings, refresh_words=60, refresh_interval_s=3.0)
    run_worker_until(config, group, caught_up(meeting.id, 12))
    first = {i.title: i for p in proposals(settings, meeting.id) for i in p.items}
    survey = next(i for t, i in first.items() if "survey" in t)
    pricing = next(i for t, i in first.items() if "pricing" in t)
    assert survey.status == "open"
    assert pricing.due_date == "2025-03-13"

    publish(settings, [*segments[12:], MeetingEvent(type="ended", meeting_id=meeting.id)])
    run_worker_until(
        config, group, final_published(settings, meeting.id, len(segments_of(meeting)))
    )
    latest = {i.task_key: i for p in proposals(settings, meeting.id) for i in p.items}
    assert latest[survey.task_key].status == "cancelled"
    assert latest[pricing.task_key].due_date == "2025-03-14"
    footer = next(i for i in latest.values() if "footer" in i.title)
    assert footer.assignee == "Mina Park"
    assert len(latest) == 6, "changes of mind must not add cards"
    kinds = [s.kind for s in summaries(settings, meeting.id)]
    assert "rolling" in kinds
    assert kinds[-1] == "final"


def test_replay_and_restart_propose_identical_keys(settings: Settings, unique: str) -> None:
    meeting = load_meeting(MEETINGS_DIR / "ko_app_release.yaml", f"m-replay-{unique}")
    create_meeting_rows(settings, meeting)
    events = [*joined_events(meeting), *segments_of(meeting)]
    first_group = fresh_group(settings, f"replay-a-{unique}")
    second_group = fresh_group(settings, f"replay-b-{unique}")
    publish(settings, events)
    publish(settings, [*segments_of(meeting)[:5]])  # duplicates, as after a producer retry
    publish(settings, [MeetingEvent(type="ended", meeting_id=meeting.id)])
    config = _rules(settings)
    run_worker_until(
        config,
        first_group,
        final_published(settings, meeting.id, len(segments_of(meeting))),
    )
    first = [s for s in summaries(settings, meeting.id) if s.kind == "final"][-1]

    # Forget everything the summarizer stored and replay the topics with a new group.
    worker_sessions = run_worker_until(config, f"noop-{unique}", lambda _w: True).sessions
    with worker_sessions.begin() as session:
        session.execute(delete(SummarizerSegment).where(SummarizerSegment.meeting_id == meeting.id))
        session.execute(delete(SummarizerMeeting).where(SummarizerMeeting.meeting_id == meeting.id))
    run_worker_until(
        config,
        second_group,
        final_published(settings, meeting.id, len(segments_of(meeting))),
    )
    second = [s for s in summaries(settings, meeting.id) if s.kind == "final"][-1]

    assert second.revision == first.revision
    assert [
        (i.task_key, i.title, i.assignee, i.due_date, i.status) for i in first.action_items
    ] == [(i.task_key, i.title, i.assignee, i.due_date, i.status) for i in second.action_items]
    assert score(list(second.action_items), meeting.expected).recall == 1.0


def _streamed_meeting(
    settings: Settings, meeting_id: str
) -> tuple[AnnotatedMeeting, list[TranscriptSegment], list[MeetingEvent]]:
    """A meeting whose members joined with a stream each, as ingest announces them."""
    meeting = load_meeting(MEETINGS_DIR / "en_launch_sync.yaml", meeting_id)
    create_meeting_rows(settings, meeting)
    joined = [
        e.model_copy(update={"stream_id": f"{meeting.id}:{e.participant_id}:mic"})
        for e in joined_events(meeting)
    ]
    return meeting, segments_of(meeting), joined


def _transcribed(meeting_id: str, stream_ids: list[str]) -> list[MeetingEvent]:
    return [
        MeetingEvent(type="stream_transcribed", meeting_id=meeting_id, stream_id=s)
        for s in stream_ids
    ]


def test_the_final_summary_waits_for_every_stream_to_be_transcribed(
    settings: Settings, unique: str
) -> None:
    """The end of a meeting comes while its last words are still being transcribed (a
    Korean final takes up to 3 s, longer behind a backlog). The final summary waits for
    each stream that joined to be transcribed to its end, so there is one final summary
    and it has the last words."""
    meeting, segments, joined = _streamed_meeting(settings, f"m-wait-{unique}")
    still_speaking = {s.stream_id for s in segments[-3:]}
    done_early = sorted(str(e.stream_id) for e in joined if e.stream_id not in still_speaking)
    late = sorted(still_speaking)
    assert done_early
    config = _rules(settings, final_grace_s=0.5, final_wait_s=120.0)
    handled: list[Event] = []
    with running_worker(config, f"wait-{unique}", handled) as worker:
        publish(settings, [*joined, *segments[:-3]])
        publish(settings, [MeetingEvent(type="ended", meeting_id=meeting.id)])
        publish(settings, _transcribed(meeting.id, done_early))
        expected = len(joined) + len(segments) - 3 + 1 + len(done_early)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(handled) < expected:
            time.sleep(0.2)
        time.sleep(3)  # six times the grace: the final would be out by now
        with worker.sessions() as session:
            state = session.get(SummarizerMeeting, meeting.id)
            assert state is not None
            assert state.ended_at is not None
            assert sorted(state.open_streams) == late
            assert state.revision == 0, "no summary while the last words are transcribed"
        publish(settings, [*segments[-3:]])
        publish(settings, _transcribed(meeting.id, late))
        done = final_published(settings, meeting.id, len(segments))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not done(worker):
            time.sleep(0.2)
        assert done(worker)
    [final] = summaries(settings, meeting.id)
    assert final.kind == "final"
    result = score(list(final.action_items), meeting.expected)
    assert (result.precision, result.recall) == (1.0, 1.0), result


def test_a_stream_never_transcribed_delays_the_final_summary_at_most_the_longest_wait(
    settings: Settings, unique: str
) -> None:
    """A client that keeps its stream open past the end (or a transcriber that is down)
    must not hold the summary: it goes `final_wait_s` after the end without that stream."""
    meeting, segments, joined = _streamed_meeting(settings, f"m-nowait-{unique}")
    config = _rules(settings, final_grace_s=0.5, final_wait_s=4.0)
    handled: list[Event] = []
    with running_worker(config, f"nowait-{unique}", handled) as worker:
        publish(settings, [*joined, *segments, MeetingEvent(type="ended", meeting_id=meeting.id)])
        done = final_published(settings, meeting.id, len(segments))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not done(worker):
            time.sleep(0.2)
        assert done(worker)
        with worker.sessions() as session:
            state = session.get(SummarizerMeeting, meeting.id)
            assert state is not None
            assert state.ended_at is not None
            waited = (state.updated_at - state.ended_at).total_seconds()
    assert 4.0 <= waited < 30.0, waited
    assert [s.kind for s in summaries(settings, meeting.id)] == ["final"]
