"""docker-compose.yml really runs: every vori service as the process its container runs,
and a meeting through it as a user has it.

No Docker engine runs here, so each service of the compose file that builds from this
repository's Dockerfile runs as an OS process with exactly its container's command
(ENTRYPOINT + command) and environment (image ENV + compose environment), vori installed
from the files the Dockerfile copies, with compose's host names and ports mapped to
loopback (tests/helpers/compose_stack.py derives that mapping from the compose file alone).
The engines are the session's real Kafka broker and PostgreSQL server standing for the
`kafka` and `postgres` containers. A user then registers, creates a board and a meeting,
streams real Korean speech over the audio WebSocket that `/api/v1/config` names, ends the
meeting, and reads the transcript, the summary and the board through the gateway.

Left out, with the reason (tests/helpers/compose_meeting.py EXCLUDED):
- proxy (Caddy): it finds its upstreams by DNS (`dynamic a stream-ingest 8001`), which
  needs the compose network's resolver, and binds 80/443. Its routing is read from the
  Caddyfile instead (`/ingest/*` to stream-ingest, the rest to the gateway) and checked
  with `caddy adapt` in tests/unit/test_compose.py; the client goes where it would route.
- prometheus, grafana: monitoring, not on the meeting's path (tests/integration/
  test_monitoring_endpoints.py scrapes the services).
- analytics-live: a Spark JVM with `local[2]` needs more than this 2-core machine can
  spare within the test's time; tests/integration/test_analytics_live.py runs it.
- analytics-batch: the same for the batch runs it schedules (a Spark JVM each);
  tests/unit/test_batch_schedule.py tests the schedule, tests/integration/
  test_analytics_batch.py the jobs.
- minio: no MinIO server on this machine; and with it every service that depends on a
  left-out one (the archiver needs MinIO), found from `depends_on`.

The stack first comes up exactly as the compose file has it. For the meeting, the operator
then applies one override (`docker compose -f docker-compose.yml -f override.yml up -d`,
which recreates only the service it changes): the summarizer's action-item detector off.
The shared speech holds read-out requests, not meetings, and the detector, tuned on real
meetings, rightly finds no commitment in them (its task threshold is 0.95); the rules
alone then turn the spoken requests into cards, as in tests/e2e/test_board.py.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jiwer
import pytest

from tests.e2e.api import Account, Api, wait_for
from tests.e2e.audio import fake_microphone
from tests.helpers.compose_meeting import RULES_ONLY, Microphone, audio_url, stream
from tests.helpers.compose_meeting import compose_stack as compose_stack_for
from tests.helpers.compose_stack import ComposeStack, lock_drift
from vori.settings import Settings

# "Please tell me how to get there by subway", "I think I left my phone; could you look
# for it?": two requests the rules turn into tasks (tests/e2e/test_board.py).
KOREAN = ["ko/naver/wav_003.wav", "ko/naver/wav_067.wav"]


@pytest.fixture(scope="module")
def compose_stack(
    settings: Settings, kafka_broker: Any, postgres_server: Any, tmp_path_factory: Any
) -> Iterator[ComposeStack]:
    stack = compose_stack_for(
        tmp_path_factory.mktemp("compose"),
        settings.kafka,
        kafka_broker.port,
        postgres_server.port,
    )
    try:
        stack.start()
        yield stack
    except Exception:
        print(stack.tail())
        raise
    finally:
        stack.stop()


def _korean_chars(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text)


def test_every_service_comes_up_as_the_compose_file_has_it(compose_stack: ComposeStack) -> None:
    # The processes import vori's dependencies from this virtualenv, the image from the lock.
    assert lock_drift() == [], "the test virtualenv is not what the image installs"
    print("\nleft out:", ", ".join(f"{n} ({why})" for n, why in compose_stack.excluded.items()))
    print("compose-equivalent start -> ready (s):")
    for name, service in compose_stack.services.items():
        print(f"  {name:<15} {service.ready_s:6.1f}")
    assert set(compose_stack.services) >= {
        "init", "gateway", "stream-ingest", "transcriber", "summarizer", "kanban"
    }  # fmt: skip
    for name, service in compose_stack.services.items():
        assert service.one_shot or service.alive(), name
        assert service.ready_s is not None, name
    # The image's built web app, served by the gateway where the proxy sends `/`.
    page = httpx.get(compose_stack.entry_route("/") + "/", timeout=20)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<div id="root">' in page.text


def test_a_meeting_through_the_compose_services_gives_transcript_summary_and_cards(
    compose_stack: ComposeStack, speech_dir: Path, tmp_path: Path
) -> None:
    stack = compose_stack
    assert stack.reconfigure(RULES_ONLY) == ["summarizer"]
    recreated_s = stack.services["summarizer"].ready_s
    print(f"\n  summarizer recreated by the override: ready in {recreated_s:.1f} s")
    api = Api(stack.entry_route("/api/v1/meetings"))
    try:
        _run_meeting(stack, api, speech_dir, tmp_path)
    except BaseException:
        print(stack.tail())
        raise
    finally:
        api.close()


def _run_meeting(stack: ComposeStack, api: Api, speech_dir: Path, tmp_path: Path) -> None:
    recording = fake_microphone(
        [speech_dir / clip for clip in KOREAN], tmp_path / "mina.wav", lead_s=0.5
    )
    mina: Account = api.register("Mina")
    assert api.json(mina, "GET", "/api/v1/me")["email"] == mina.email
    # Boards live in the kanban service; the gateway proxies them (VORI_GATEWAY__KANBAN_URL).
    board_id = api.json(mina, "POST", "/api/v1/boards", json={"name": "Store team"})["id"]
    meeting = api.create_meeting(mina, "Store visit planning", language="ko", board_id=board_id)

    mic = Microphone(mina, recording.samples)
    asyncio.run(stream(audio_url(api, stack, mina, meeting["id"]), mic))
    assert mic.stopped_position == len(recording.samples)
    assert mic.reconnects == 0, mic.closes
    stopped_at = time.monotonic()
    ended = api.json(mina, "POST", f"/api/v1/meetings/{meeting['id']}/end")
    assert ended["status"] == "ended"
    ended_at = time.monotonic()

    last_clip = recording.clips[-1]

    def whole_transcript() -> list[dict[str, Any]] | None:
        segments = api.transcript(mina, meeting["id"])
        if segments and max(s["end"] for s in segments) >= last_clip.offset_s + 0.5:
            return segments
        return None

    segments = wait_for(whole_transcript, 120, "final segments of both requests")
    transcript_s = time.monotonic() - stopped_at

    def final_summary() -> dict[str, Any] | None:
        summary: dict[str, Any] = api.json(mina, "GET", f"/api/v1/meetings/{meeting['id']}/summary")
        return summary if summary.get("kind") == "final" else None

    summary = wait_for(final_summary, 120, "the final summary")
    summary_s = time.monotonic() - ended_at

    def meeting_cards() -> list[dict[str, Any]] | None:
        board = api.board(mina, board_id)
        cards = [c for column in board["columns"] for c in column["cards"]]
        return [c for c in cards if c["meeting_id"] == meeting["id"]] or None

    cards = wait_for(meeting_cards, 120, "cards for the spoken requests")
    cards_s = time.monotonic() - ended_at

    print(f"  stop of the stream -> whole transcript stored {transcript_s:6.1f}")
    print(f"  meeting end -> final summary {summary_s:6.1f}")
    print(f"  meeting end -> cards on the board {cards_s:6.1f}")

    # The transcript: final segments of Mina's stream, in order, that read as she spoke.
    assert all(s["final"] for s in segments)
    assert {s["speaker"] for s in segments} == {"Mina"}
    starts = [s["start"] for s in segments]
    assert starts == sorted(starts)
    heard = _korean_chars("".join(s["text"] for s in segments))
    spoken = _korean_chars(recording.reference)
    cer = jiwer.cer(spoken, heard)
    assert cer < 0.5, f"CER {cer:.2f}: heard {heard!r} for {spoken!r}"

    # The summary: the final one, by the rules (no LLM configured), in the meeting's language.
    assert summary["source"] == "rules"
    assert summary["language"] == "ko"
    assert summary["action_items"], summary

    # The board: the summary's tasks are cards on the meeting's board, with evidence.
    ids = {s["id"] for s in segments}
    linked = {item["card"]["id"] for item in summary["action_items"] if item.get("card")}
    assert linked <= {c["id"] for c in cards}
    for card in cards:
        assert card["evidence"], card
        assert {e["segment_id"] for e in card["evidence"]} <= ids, card
