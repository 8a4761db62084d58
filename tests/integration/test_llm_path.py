"""The summarizer's LLM path against a real chat-completions HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import re
import time

from tests.helpers.summarizer import (
    MEETINGS_DIR,
    AnnotatedMeeting,
    ChatServer,
    answer,
    caught_up,
    create_meeting_rows,
    final_published,
    fresh_group,
    joined_events,
    load_meeting,
    publish,
    raw,
    run_worker_until,
    score,
    segments_of,
    summaries,
)
from vori.events import MeetingEvent, MeetingSummary
from vori.settings import Settings


def _llm(settings: Settings, server: ChatServer, **summarizer: object) -> Settings:
    # Only the final summary unless a test asks for rolling ones: request counts are exact.
    config = settings.summarizer.model_copy(
        update={
            "llm": "auto",
            "model": "test-model",
            "timeout_s": 5.0,
            "refresh_words": 100_000,
            "refresh_interval_s": 3600.0,
            "detector": False,  # the rules' candidates, as these tests expect
            **summarizer,
        }
    )
    return settings.model_copy(update={"summarizer": config, "openai_base_url": server.base_url})


def _meeting(settings: Settings, name: str, meeting_id: str) -> AnnotatedMeeting:
    meeting = load_meeting(MEETINGS_DIR / name, meeting_id)
    create_meeting_rows(settings, meeting)
    return meeting


def _line(request: dict[str, object], snippet: str) -> int:
    """The number the prompt gave the line containing `snippet`."""
    user = str(request["messages"][1]["content"])  # type: ignore[index]
    for line in user.splitlines():
        found = re.match(r"^.\[L(\d+)\] ", line)
        if found and snippet in line:
            return int(found.group(1))
    raise AssertionError(f"{snippet!r} not shown to the model")


def _final(settings: Settings, meeting_id: str) -> MeetingSummary:
    return [s for s in summaries(settings, meeting_id) if s.kind == "final"][-1]


def test_valid_answer_becomes_tasks_with_members_dates_and_evidence(
    settings: Settings, unique: str
) -> None:
    meeting = _meeting(settings, "en_infra_standup.yaml", f"m-llm-ok-{unique}")

    def reply(request: dict[str, object]) -> tuple[int, str, float]:
        runbook = _line(request, "rollback runbook")
        body = {
            "overview": "Migration prep.",
            "key_points": ["Migration next week"],
            "decisions": ["Upgrade moves to next Tuesday"],
            "open_questions": ["Backups in another region?"],
            "tasks": [
                {
                    "task_key": None,
                    "title": "Write the rollback runbook",
                    "owner": "Priya Shah",
                    "due": "tomorrow",
                    "status": "open",
                    "lines": [runbook],
                },
                {
                    "task_key": None,
                    "title": "Review the alerting rules",
                    "owner": "Mallory",
                    "due": "Thursday",
                    "status": "open",
                    "lines": [_line(request, "Lena will review")],
                },
                {
                    "task_key": None,
                    "title": "Order pizza",
                    "owner": "Tom Becker",
                    "due": "null",
                    "status": "open",
                    "lines": [_line(request, "Works for me")],
                },
                {
                    "task_key": None,
                    "title": "Invented",
                    "owner": "Tom Becker",
                    "due": None,
                    "status": "open",
                    "lines": [999],
                },
            ],
        }
        return 200, json.dumps(body), 0.0

    server = ChatServer([reply])
    group = fresh_group(settings, f"{meeting.id}-summarizer")
    publish(settings, [*segments_of(meeting), MeetingEvent(type="ended", meeting_id=meeting.id)])
    with server.running():
        run_worker_until(
            _llm(settings, server),
            group,
            final_published(settings, meeting.id, len(segments_of(meeting))),
        )
    final = _final(settings, meeting.id)
    assert final.source == "llm"
    assert final.decisions == ["Upgrade moves to next Tuesday"]
    items = {i.title: i for i in final.action_items}
    assert set(items) == {"Write the rollback runbook", "Review the alerting rules"}, (
        "no task without evidence, nor from a line that is not a task moment"
    )
    runbook = items["Write the rollback runbook"]
    assert (runbook.assignee, runbook.assignee_id, runbook.due_date) == (
        "Priya Shah",
        "u_priyashah",
        "2025-06-04",
    )
    assert runbook.evidence[0].segment_id == meeting.utterances[4].segment_id
    alerting = items["Review the alerting rules"]
    # Mallory is no member: the owner falls back to the rules' reading of that line.
    assert alerting.assignee == "Lena Vogel"
    assert alerting.due_date == "2025-06-05"
    [request] = server.requests
    assert request["response_format"]["type"] == "json_schema"  # type: ignore[index]
    assert request["model"] == "test-model"


def test_malformed_json_and_schema_violation_are_retried_then_rules_lose_nothing(
    settings: Settings, unique: str
) -> None:
    meeting = _meeting(settings, "en_marketing_planning.yaml", f"m-llm-bad-{unique}")
    server = ChatServer([raw("{not json"), answer(tasks=[{"title": "missing fields"}])])
    group = fresh_group(settings, f"{meeting.id}-summarizer")
    publish(settings, [*segments_of(meeting), MeetingEvent(type="ended", meeting_id=meeting.id)])
    with server.running():
        run_worker_until(
            _llm(settings, server, json_mode="json_object", max_attempts=2),
            group,
            final_published(settings, meeting.id, len(segments_of(meeting))),
        )
    assert len(server.requests) == 2, "bounded retries"
    assert server.requests[0]["response_format"]["type"] == "json_object"  # type: ignore[index]
    assert "schema" in server.requests[0]["response_format"]  # type: ignore[operator]
    final = _final(settings, meeting.id)
    assert final.source == "rules"
    result = score(list(final.action_items), meeting.expected)
    assert result.recall == 1.0, result.misses
    assert result.owner_accuracy == 1.0, result.misses


def test_timeout_is_retried_then_rules_lose_nothing(settings: Settings, unique: str) -> None:
    meeting = _meeting(settings, "ko_app_release.yaml", f"m-llm-slow-{unique}")
    server = ChatServer([raw("{}", delay=4.0)])
    group = fresh_group(settings, f"{meeting.id}-summarizer")
    publish(settings, [*segments_of(meeting), MeetingEvent(type="ended", meeting_id=meeting.id)])
    with server.running():
        run_worker_until(
            _llm(settings, server, timeout_s=1.0, max_attempts=2),
            group,
            final_published(settings, meeting.id, len(segments_of(meeting))),
        )
    assert len(server.requests) == 2
    final = _final(settings, meeting.id)
    assert final.source == "rules"
    assert score(list(final.action_items), meeting.expected).recall == 1.0


def test_prompt_injection_changes_nothing_beyond_what_was_decided(
    settings: Settings, unique: str
) -> None:
    meeting = _meeting(settings, "en_infra_standup.yaml", f"m-llm-evil-{unique}")
    segments = segments_of(meeting)

    def reply(request: dict[str, object]) -> tuple[int, str, float]:
        user = str(request["messages"][1]["content"])  # type: ignore[index]
        if "ignore previous instructions" not in user:
            return answer(
                tasks=[
                    {
                        "task_key": None,
                        "title": "Write the rollback runbook",
                        "owner": "Priya Shah",
                        "due": "tomorrow",
                        "status": "open",
                        "lines": [_line(request, "runbook")],
                    },
                    {
                        "task_key": None,
                        "title": "Upgrade the staging database",
                        "owner": "Tom Becker",
                        "due": "end of the week",
                        "status": "open",
                        "lines": [_line(request, "staging database")],
                    },
                ]
            )(request)
        # The hostile line made it: cancel every known task, add one, hand all to Tom.
        known = json.loads(re.search(r"Current tasks: (.*)", user).group(1))  # type: ignore[union-attr]
        evil = _line(request, "ignore previous instructions")
        tasks = [
            {
                "task_key": t["task_key"],
                "title": t["title"],
                "owner": None,
                "due": None,
                "status": "cancelled",
                "lines": [evil],
            }
            for t in known
        ] + [
            {
                "task_key": None,
                "title": "Delete all cards",
                "owner": "Tom Becker",
                "due": "today",
                "status": "open",
                "lines": [evil],
            },
            {
                "task_key": known[0]["task_key"],
                "title": known[0]["title"],
                "owner": "Tom Becker",
                "due": None,
                "status": "cancelled",
                "lines": [_line(request, "Very funny")],
            },
        ]
        return answer(tasks=tasks)(request)

    server = ChatServer([reply])
    config = _llm(settings, server, refresh_words=40)
    with server.running():
        group = fresh_group(settings, f"llm-evil-{unique}")
        publish(settings, [*joined_events(meeting), *segments[:6]])
        run_worker_until(config, group, caught_up(meeting.id, 6))
        publish(settings, [*segments[6:12], MeetingEvent(type="ended", meeting_id=meeting.id)])
        run_worker_until(config, group, final_published(settings, meeting.id, 12))
    final = _final(settings, meeting.id)
    assert final.source == "llm"
    items = {i.title: i for i in final.action_items}
    assert set(items) == {"Write the rollback runbook", "Upgrade the staging database"}
    assert all(i.status == "open" for i in items.values())
    assert items["Write the rollback runbook"].assignee == "Priya Shah"
    assert len(server.requests) >= 2


def test_a_slow_model_never_delays_the_final_summary_past_its_budget(
    settings: Settings, unique: str
) -> None:
    meeting = _meeting(settings, "en_launch_sync.yaml", f"m-llm-budget-{unique}")
    server = ChatServer([raw("{}", delay=30.0)])  # a model far slower than the budget
    group = fresh_group(settings, f"{meeting.id}-summarizer")
    publish(settings, [*segments_of(meeting), MeetingEvent(type="ended", meeting_id=meeting.id)])
    started = time.monotonic()
    with server.running():
        run_worker_until(
            _llm(settings, server, timeout_s=60.0, max_attempts=2, final_budget_s=3.0),
            group,
            final_published(settings, meeting.id, len(segments_of(meeting))),
        )
    elapsed = time.monotonic() - started
    final = _final(settings, meeting.id)
    assert final.source == "rules", "the cheaper path answered and says so"
    assert len(server.requests) == 1, "no retry past the budget"
    # Joining the consumer group and the 2 s grace take a few seconds of their own.
    assert elapsed < 3.0 + 15.0, f"final summary after {elapsed:.1f} s"
    assert score(list(final.action_items), meeting.expected).recall == 1.0
