"""The segment builder: a `TranscriptSegment` from a decoded utterance (pure).

The one place in the live transcriber that maps a stream's job and its decode onto the
wire shape: finals (built in the decode thread of a `ModelLane`), partials (built by the
worker when a partial decode changes what is shown), the produced-at stamp a final
gets when its transaction is committed, and the `stream_transcribed` announcement.
Samples are the source of truth; seconds are derived from them here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from transcriber.pcm import SAMPLE_RATE
from transcriber.stabilizer import StableView, units_of
from transcriber.stream import FinalJob, PartialJob, StreamInfo
from vori.events import MeetingEvent, SegmentTiming, TranscriptSegment, Word, room_speaker_id

if TYPE_CHECKING:  # the decoder module loads CTranslate2; only its result type is needed
    from transcriber.decoder import Decoded


def decode_language(language: str) -> str | None:
    """The language to force on the decoder: none for automatic detection."""
    return None if language == "auto" else language


def words_kept(words: Sequence[Word], text: str) -> Sequence[Word]:
    """The decode's words that its kept `text` still has: a loop the policy cut from the
    text (policy.collapse_repetitions) is cut from the words too. The kept text is the
    decode's words with some removed, so they are matched in order; words that do not
    pair one to one with the text's words are all kept."""
    spoken = units_of("".join(w.word for w in words), None)
    kept = units_of(text, None)
    if len(spoken) != len(words) or [u.key for u in spoken] == [u.key for u in kept]:
        return words
    out: list[Word] = []
    for word, unit in zip(words, spoken, strict=True):
        if len(out) < len(kept) and unit.key == kept[len(out)].key:
            out.append(word)
    return out if len(out) == len(kept) else words


def final_segment(
    job: FinalJob,
    decoded: Decoded | None,
    text: str,
    *,
    model: str,
    decode_started_at: datetime,
    decode_finished_at: datetime,
) -> TranscriptSegment:
    """The final of an utterance; `decoded` None for an empty final that retracts partials."""
    offset = job.start / SAMPLE_RATE
    words = (
        [
            Word(
                word=w.word,
                start=round(w.start + offset, 3),
                end=round(w.end + offset, 3),
                probability=w.probability,
            )
            for w in words_kept(decoded.words, text)
        ]
        if decoded is not None
        else []
    )
    info = job.info
    return TranscriptSegment(
        id=job.segment_id,
        meeting_id=info.meeting_id,
        stream_id=info.stream_id,
        participant_id=info.participant_id,
        speaker=info.speaker,
        final=True,
        revision=job.revision,
        start=job.start / SAMPLE_RATE,
        end=job.end / SAMPLE_RATE,
        start_sample=job.start,
        end_sample=job.end,
        text=text,
        stable_text=text,
        words=words,
        language=(decoded.language if decoded is not None else None)
        or decode_language(info.language),
        confidence=decoded.confidence if decoded is not None else None,
        model=model,
        timing=SegmentTiming(
            audio_end_capture_time=job.timing.audio_end_capture_time,
            audio_end_received_at=job.timing.audio_end_received_at,
            decode_started_at=decode_started_at,
            decode_finished_at=decode_finished_at,
        ),
    )


def in_voice(segment: TranscriptSegment, number: int | None) -> TranscriptSegment:
    """A room microphone's final as said by its voice `number` ("Room 2"); None: as it is."""
    if number is None:
        return segment
    return segment.model_copy(
        update={
            "speaker": f"Room {number}",
            "speaker_id": room_speaker_id(segment.stream_id, number),
        }
    )


def partial_segment(
    job: PartialJob,
    revision: int,
    view: StableView,
    *,
    model: str,
    decode_started_at: datetime,
    decode_finished_at: datetime,
    produced_at: datetime,
) -> TranscriptSegment:
    """A partial: what is shown of the open utterance, with its stable prefix."""
    info = job.info
    return TranscriptSegment(
        id=job.segment_id,
        meeting_id=info.meeting_id,
        stream_id=info.stream_id,
        participant_id=info.participant_id,
        speaker=info.speaker,
        final=False,
        revision=revision,
        start=job.start / SAMPLE_RATE,
        end=job.end / SAMPLE_RATE,
        start_sample=job.start,
        end_sample=job.end,
        text=view.text,
        stable_text=view.stable_text,
        language=decode_language(info.language),
        model=model,
        timing=SegmentTiming(
            audio_end_capture_time=job.timing.audio_end_capture_time,
            audio_end_received_at=job.timing.audio_end_received_at,
            decode_started_at=decode_started_at,
            decode_finished_at=decode_finished_at,
            produced_at=produced_at,
        ),
    )


def stream_transcribed(info: StreamInfo) -> MeetingEvent:
    """The announcement that a stream's transcript is whole: its end read, every final
    before it decoded (docs/protocol.md)."""
    return MeetingEvent(
        type="stream_transcribed",
        meeting_id=info.meeting_id,
        stream_id=info.stream_id,
        participant_id=info.participant_id,
        participant_name=info.speaker,
    )


def stamped(
    segments: Sequence[TranscriptSegment], produced_at: datetime
) -> list[TranscriptSegment]:
    """Copies of finals stamped with the time their transaction publishes them."""
    return [
        s.model_copy(update={"timing": s.timing.model_copy(update={"produced_at": produced_at})})
        for s in segments
    ]
