"""Re-transcribing a past meeting through the real gateway, Kafka, PostgreSQL, the local
object store, the batch transcriber (`base`), the summarizer and kanban's merge.

The meeting's audio is archived as the archiver lays it (FLAC chunks of real speech); its
old transcript is a live one that misheard. After the job the transcript API serves only
the new segments, a new final summary is made, a card a person edited keeps the edit, and a
replay of the job's messages and of the replacement changes nothing more.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jiwer
import pytest
from sqlalchemy import select
from whisper_normalizer.english import EnglishTextNormalizer

from kanban.proposals import ProposalApplier
from tests.conftest import subprocess_env
from tests.helpers.gateway import (
    Account,
    GatewayServer,
    add_member,
    create_meeting,
    joined,
    produce,
    register,
    segment,
    serve_gateway,
    wait_for,
)
from tests.helpers.kafka import commit_end_offsets
from tests.helpers.kanban import cards_of_meeting, kanban_api
from tests.helpers.kanban import sessions as kanban_sessions
from tests.helpers.summarizer import (
    proposals,
    read_topic,
    running_worker,
    summaries,
)
from tests.helpers.transcriber import SAMPLE_RATE, clips, concatenate
from transcriber.batch_worker import BatchWorker
from vori.db.engine import create_db_engine, session_factory
from vori.db.tables import IngestStream, MeetingStream, SummarizerMeeting, SummarizerSegment
from vori.events import (
    RECORDINGS_UPLOADED,
    RETRANSCRIPTIONS_REQUESTED,
    TRANSCRIPT_SEGMENTS,
    Event,
    MeetingEvent,
    RetranscriptionRequested,
    TaskProposal,
    TranscriptSegment,
    retranscription_stream_id,
    room_speaker_id,
)
from vori.objectstore import LocalObjectStore, recordings_dir
from vori.recordings import CONTENT_TYPE, chunk_key, encode_flac
from vori.settings import Settings

normalise = EnglishTextNormalizer()
CHUNK = 5 * SAMPLE_RATE  # the archiver's chunk length here (any length reads back)
WAIT_S = 240
ACTION = "I will send the budget report to the whole team by Friday."


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings)


@pytest.fixture(scope="module")
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=60) as http:
        yield http


def _archive(gateway: GatewayServer, meeting_id: str, stream_id: str, speech_dir: Path) -> str:
    """Real speech laid in the store as the archiver lays it; the reference transcript."""
    spoken = list(clips(speech_dir, "en/librispeech_1089").values())[:3]
    timeline = concatenate(spoken, pause_s=0.8)
    store = LocalObjectStore(recordings_dir(gateway.settings))
    pcm = timeline.samples.astype("<i2")
    for start in range(0, len(pcm), CHUNK):
        key = chunk_key(meeting_id, stream_id, start)
        store.put(key, encode_flac(pcm[start : start + CHUNK].tobytes()), CONTENT_TYPE)
    return " ".join(clip.text for clip in spoken)


def _transcript(client: httpx.Client, owner: Account, meeting_id: str) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/meetings/{meeting_id}/transcript", headers=owner.headers)
    assert answer.status_code == 200, answer.text
    segments: list[dict[str, Any]] = answer.json()["segments"]
    return segments


def _job(client: httpx.Client, owner: Account, meeting_id: str, job_id: str) -> dict[str, Any]:
    answer = client.get(
        f"/api/v1/meetings/{meeting_id}/retranscriptions/{job_id}", headers=owner.headers
    )
    assert answer.status_code == 200, answer.text
    job: dict[str, Any] = answer.json()
    return job


def _post(client: httpx.Client, who: Account, meeting_id: str, **body: Any) -> httpx.Response:
    return client.post(
        f"/api/v1/meetings/{meeting_id}/retranscriptions",
        json={"model": "base", **body},
        headers=who.headers,
    )


def _state(settings: Settings, meeting_id: str) -> SummarizerMeeting | None:
    engine = create_db_engine(settings)
    try:
        with session_factory(engine)() as session:
            return session.get(SummarizerMeeting, meeting_id)
    finally:
        engine.dispose()


def _apply_latest_proposal(settings: Settings, meeting_id: str) -> None:
    # The summarizer publishes a summary, then its proposal: a reader of the summary can
    # be a moment ahead of the proposal.
    found: list[TaskProposal] = []

    def proposed() -> bool:
        found[:] = proposals(settings, meeting_id)
        return bool(found)

    wait_for(proposed, WAIT_S, "the summary's task proposal")
    ProposalApplier(kanban_sessions(settings)).apply(found[-1], f"test:{uuid.uuid4().hex}")


def test_refusals_owner_only_quiet_installed_and_archived(
    client: httpx.Client, gateway: GatewayServer
) -> None:
    owner, member, outsider = register(client, "Ona"), register(client, "Mo"), register(client)
    meeting_id = create_meeting(client, owner)["id"]
    add_member(client, owner, meeting_id, member)
    assert _post(client, member, meeting_id).status_code == 403
    assert _post(client, outsider, meeting_id).status_code == 404
    unknown = _post(client, owner, meeting_id, model="large-v3")
    assert unknown.status_code == 422
    assert "not installed" in unknown.json()["detail"]
    english = _post(client, owner, meeting_id, model="tiny.en", language="ko")
    assert english.status_code == 422
    assert "English only" in english.json()["detail"]
    nothing = _post(client, owner, meeting_id)
    assert nothing.status_code == 409
    assert "no archived audio" in nothing.json()["detail"]
    stream_id = f"{meeting_id}:{owner.id}:mic"
    engine = create_db_engine(gateway.settings)
    try:
        with session_factory(engine).begin() as session:
            session.add(
                IngestStream(
                    stream_id=stream_id,
                    meeting_id=meeting_id,
                    participant_id=owner.id,
                    active=True,
                    lease_expires_at=datetime.now(UTC) + timedelta(minutes=5),
                )
            )
    finally:
        engine.dispose()
    streaming = _post(client, owner, meeting_id)
    assert streaming.status_code == 409
    assert "streaming" in streaming.json()["detail"]
    missing = client.get(
        f"/api/v1/meetings/{meeting_id}/retranscriptions/rtx_nope", headers=owner.headers
    )
    assert missing.status_code == 404


def test_vori_retranscribe_starts_a_job_as_the_owner_and_reports_refusals(
    client: httpx.Client, gateway: GatewayServer, tmp_path: Path
) -> None:
    password = "correct horse battery"
    owner = register(client, "Cli", password)
    meeting_id = create_meeting(client, owner)["id"]
    env = {
        **subprocess_env(gateway.settings),
        "VORI_CLIENT__TOKEN_FILE": str(tmp_path / "credentials.json"),
        "VORI_LOG_LEVEL": "WARNING",
    }

    def vori(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "vori", *args],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    login = vori("login", "--email", owner.email, "--password", password, "--gateway", gateway.url)
    assert login.returncode == 0, login.stderr
    refused = vori("retranscribe", "--meeting", meeting_id, "--model", "large-v3")
    assert refused.returncode == 1
    assert "422 model 'large-v3' is not installed" in refused.stderr
    nothing = vori("retranscribe", "--meeting", meeting_id, "--model", "base")
    assert nothing.returncode == 1
    assert "409 the meeting has no archived audio" in nothing.stderr
    store = LocalObjectStore(recordings_dir(gateway.settings))
    silence = encode_flac(bytes(2 * SAMPLE_RATE))
    store.put(chunk_key(meeting_id, f"{meeting_id}:{owner.id}:mic", 0), silence, CONTENT_TYPE)
    started = vori("retranscribe", "--meeting", meeting_id, "--model", "base", "--wait", "0")
    assert started.returncode == 0, started.stderr
    job_id = started.stdout.strip()
    assert _job(client, owner, meeting_id, job_id)["model"] == "base"
    assert "re-transcription " + job_id + " of 1 streams" in started.stderr


def test_a_meeting_retranscribed_with_base_replaces_its_transcript_and_keeps_card_edits(
    client: httpx.Client, gateway: GatewayServer, speech_dir: Path, unique: str
) -> None:
    settings = gateway.settings
    owner = register(client, "Rae")
    meeting_id = create_meeting(client, owner)["id"]
    stream_id = f"{meeting_id}:{owner.id}:mic"
    reference = _archive(gateway, meeting_id, stream_id, speech_dir)
    old = [
        segment(meeting_id, owner, 0.5, "Four the sake of argument, the stew was hot."),
        segment(meeting_id, owner, 3.0, ACTION),
    ]
    handled: list[Event] = []
    quiet = {"llm": "off", "detector": False, "refresh_words": 100_000}
    summarizing = settings.model_copy(
        update={"summarizer": settings.summarizer.model_copy(update=quiet)}
    )
    # The summarizer reads from the topics' end as it starts: it starts before the meeting.
    with running_worker(summarizing, f"test-retx-summ-{unique}", handled):
        produce(settings, joined(meeting_id, owner), *old)
        wait_for(
            lambda: len(_transcript(client, owner, meeting_id)) == 2, 60, "old segments stored"
        )
        ended = client.post(f"/api/v1/meetings/{meeting_id}/end", headers=owner.headers)
        assert ended.is_success, ended.text
        wait_for(
            lambda: any(s.kind == "final" for s in summaries(settings, meeting_id)),
            WAIT_S,
            "the first final summary",
        )
        first = [s for s in summaries(settings, meeting_id) if s.kind == "final"][-1]
        [task] = [i for i in first.action_items if "budget" in i.title.lower()]
        _apply_latest_proposal(settings, meeting_id)
        [card] = [c for c in cards_of_meeting(settings, meeting_id) if c.task_key == task.task_key]
        with kanban_api(settings) as api:
            edited = api.patch(
                f"/api/v1/cards/{card.id}",
                json={"title": "Budget report to everyone (Rae)", "version": card.version},
                headers=owner.headers,
            )
            assert edited.status_code == 200, edited.text

        group = f"test-retx-batch-{unique}"
        # The worker reads both of its topics from their current end, not earlier tests' jobs.
        commit_end_offsets(settings.kafka, group, [RECORDINGS_UPLOADED, RETRANSCRIPTIONS_REQUESTED])
        ours = settings.model_copy(
            update={
                "transcriber_batch": settings.transcriber_batch.model_copy(
                    update={"group_id": group, "metrics_port": 0}
                )
            }
        )
        worker = BatchWorker(ours, LocalObjectStore(recordings_dir(settings)))
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        started = time.monotonic()
        try:
            answer = _post(client, owner, meeting_id)
            assert answer.status_code == 202, answer.text
            job_id = answer.json()["job_id"]
            assert answer.json()["streams"] == [stream_id]
            again = _post(client, owner, meeting_id)
            assert again.status_code == 409
            assert "running" in again.json()["detail"]
            wait_for(
                lambda: _job(client, owner, meeting_id, job_id)["status"] in ("replaced", "failed"),
                WAIT_S,
                "the transcript replaced",
            )
        finally:
            worker.loop.stop()
            thread.join(60)
        elapsed = time.monotonic() - started
        job = _job(client, owner, meeting_id, job_id)
        assert (job["status"], job["progress"], job["error"]) == ("replaced", 1.0, None)
        assert job["replaced_segments"] == 2

        new_stream = retranscription_stream_id(job_id, stream_id)
        lines = _transcript(client, owner, meeting_id)
        assert lines
        assert {line["stream_id"] for line in lines} == {new_stream}
        assert {line["speaker"] for line in lines} == {"Rae"}
        hypothesis = " ".join(line["text"] for line in lines)
        wer = jiwer.wer(normalise(reference), normalise(hypothesis))
        print(f"\nre-transcription with base: WER {wer:.3f} in {elapsed:.0f} s")
        assert wer < 0.15, (wer, hypothesis)

        # The summarizer forgot the old segments and summarised the new transcript again.
        def summarised_again() -> bool:
            state = _state(settings, meeting_id)
            return bool(
                state
                and state.final_published
                and state.segments_total == len(lines)
                and state.segments_summarized == len(lines)
            )

        wait_for(summarised_again, WAIT_S, "a new final summary of the new transcript")
        finals = [s for s in summaries(settings, meeting_id) if s.kind == "final"]
        assert len(finals) >= 2
        assert finals[-1].revision > first.revision
        _apply_latest_proposal(settings, meeting_id)
        [kept] = [c for c in cards_of_meeting(settings, meeting_id) if c.task_key == task.task_key]
        assert kept.title == "Budget report to everyone (Rae)"  # the person's edit stays

        # A replay of the job's finals and of the replacement changes nothing more.
        state = _state(settings, meeting_id)
        assert state is not None
        revision = state.revision
        job_finals = [
            e
            for e in read_topic(settings, TRANSCRIPT_SEGMENTS, meeting_id)
            if isinstance(e, TranscriptSegment) and e.stream_id == new_stream
        ]
        assert {e.id for e in job_finals} == {line["id"] for line in lines}
        assert {e.model for e in job_finals} == {"base"}
        replaced = MeetingEvent(
            type="transcript_replaced",
            meeting_id=meeting_id,
            upload_id=job_id,
            participant_id=owner.id,
            replaced_streams=[stream_id],
        )
        marker = joined(meeting_id, register(client, "Marker"))
        produce(settings, *job_finals, replaced, marker)
        wait_for(
            lambda: any(e == marker for e in handled), WAIT_S, "the summarizer read the replay"
        )
        wait_for(lambda: _stream_known(settings, marker.stream_id or ""), 60, "gateway replay")
        assert _transcript(client, owner, meeting_id) == lines
        assert _job(client, owner, meeting_id, job_id)["replaced_segments"] == 2
        after = _state(settings, meeting_id)
        assert after is not None
        assert after.revision == revision
        assert after.final_published


def _stream_known(settings: Settings, stream_id: str) -> bool:
    engine = create_db_engine(settings)
    try:
        with session_factory(engine)() as session:
            return (
                session.scalar(select(MeetingStream).where(MeetingStream.stream_id == stream_id))
                is not None
            )
    finally:
        engine.dispose()


def test_a_failed_job_leaves_the_old_transcript_alone_in_the_gateway_and_the_summarizer(
    client: httpx.Client, gateway: GatewayServer, unique: str
) -> None:
    """The batch transcriber's reports are published here as it would: some finals of the
    job, then its failure; the job's finals go, and one arriving late is not kept."""
    settings = gateway.settings
    owner = register(client, "Fay")
    meeting_id = create_meeting(client, owner)["id"]
    stream_id = f"{meeting_id}:{owner.id}:mic"
    store = LocalObjectStore(recordings_dir(settings))
    store.put(chunk_key(meeting_id, stream_id, 0), encode_flac(bytes(3200)), CONTENT_TYPE)
    handled: list[Event] = []
    with running_worker(settings, f"test-retx-fail-{unique}", handled):
        old = segment(meeting_id, owner, 0.5, "The old line stays.")
        produce(settings, joined(meeting_id, owner), old)
        wait_for(lambda: len(_transcript(client, owner, meeting_id)) == 1, 60, "old line stored")
        answer = _post(client, owner, meeting_id)
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["job_id"]
        new_stream = retranscription_stream_id(job_id, stream_id)

        def job_final(start: float, text: str) -> TranscriptSegment:
            line = segment(meeting_id, owner, start, text)
            return line.model_copy(
                update={"stream_id": new_stream, "id": f"seg_{uuid.uuid4().hex[:24]}"}
            )

        produce(settings, job_final(0.5, "The new line half done."))
        wait_for(lambda: len(_transcript(client, owner, meeting_id)) == 2, 60, "job line stored")
        failed = MeetingEvent(
            type="recording_failed",
            meeting_id=meeting_id,
            upload_id=job_id,
            participant_id=owner.id,
            error="chunk vanished",
        )
        produce(settings, failed)
        wait_for(
            lambda: _job(client, owner, meeting_id, job_id)["status"] == "failed", 60, "failed"
        )
        assert [line["id"] for line in _transcript(client, owner, meeting_id)] == [old.id]
        late = job_final(3.0, "A late line of the failed job.")
        marker = segment(meeting_id, owner, 9.0, "A later live line.")
        produce(settings, late, marker)
        wait_for(lambda: any(e == marker for e in handled), WAIT_S, "the summarizer read them")
        wait_for(lambda: len(_transcript(client, owner, meeting_id)) == 2, 60, "marker stored")
        assert [line["id"] for line in _transcript(client, owner, meeting_id)] == [
            old.id,
            marker.id,
        ]
        engine = create_db_engine(settings)
        try:
            with session_factory(engine)() as session:
                kept = session.scalars(
                    select(SummarizerSegment.id).where(SummarizerSegment.meeting_id == meeting_id)
                )
                assert sorted(kept) == sorted([old.id, marker.id])
        finally:
            engine.dispose()


def test_a_room_microphone_is_told_apart_by_voice_again_when_retranscribed(
    client: httpx.Client, gateway: GatewayServer, speech_dir: Path
) -> None:
    owner = register(client, "Ida")
    meeting_id = create_meeting(client, owner)["id"]
    stream_id = f"{meeting_id}:{owner.id}:mic"
    _archive(gateway, meeting_id, stream_id, speech_dir)
    voices = [
        segment(meeting_id, owner, start, text).model_copy(
            update={"speaker": f"Room {n}", "speaker_id": room_speaker_id(stream_id, n)}
        )
        for n, start, text in ((1, 0.5, "Shall we begin."), (2, 3.0, "Yes, let us."))
    ]
    produce(gateway.settings, joined(meeting_id, owner), *voices)
    wait_for(lambda: len(_transcript(client, owner, meeting_id)) == 2, 60, "segments stored")
    ended = client.post(f"/api/v1/meetings/{meeting_id}/end", headers=owner.headers)
    assert ended.is_success, ended.text

    answer = _post(client, owner, meeting_id)
    assert answer.status_code == 202, answer.text
    [job] = [
        e
        for e in read_topic(gateway.settings, RETRANSCRIPTIONS_REQUESTED, meeting_id)
        if isinstance(e, RetranscriptionRequested) and e.job_id == answer.json()["job_id"]
    ]
    # The stream is still the participant's (not "Room 1"), and a room microphone.
    assert [(s.stream_id, s.speaker, s.room) for s in job.streams] == [(stream_id, "Ida", True)]
