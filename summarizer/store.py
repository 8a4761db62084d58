"""The summarizer's PostgreSQL state: consumed segments, per-meeting counters and tasks,
and the meetings deleted (whose segments and events are ignored from then on)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from summarizer.facts import MeetingFacts, Member, Utterance, count_words
from vori.db.tables import (
    Meeting,
    MeetingMember,
    Retranscription,
    SpeakerLabel,
    SummarizerDeletedMeeting,
    SummarizerMeeting,
    SummarizerSegment,
    User,
)
from vori.events import (
    MeetingEvent,
    TranscriptSegment,
    of_job,
    original_stream,
    replaced_by_job,
)

# The first key of the summarizer's per-meeting advisory locks ("summ" in ASCII).
_MEETING_LOCK = 0x73756D6D


def hold_meeting(session: Session, meeting_id: str) -> None:
    """Take the meeting's lock until the transaction ends: its deletion and the recording of
    its segments and events, possibly by two summarizers, then happen one after the other,
    so a segment recorded while the meeting is deleted cannot outlive the deletion."""
    session.execute(select(func.pg_advisory_xact_lock(_MEETING_LOCK, func.hashtext(meeting_id))))


def is_deleted(session: Session, meeting_id: str) -> bool:
    return session.get(SummarizerDeletedMeeting, meeting_id) is not None


def erase_meeting(session: Session, meeting_id: str, now: datetime) -> None:
    """Forget a deleted meeting's segments and state, and remember that it was deleted
    (idempotent: a replayed `deleted` deletes nothing more)."""
    session.execute(
        insert(SummarizerDeletedMeeting)
        .values(meeting_id=meeting_id, deleted_at=now)
        .on_conflict_do_nothing(index_elements=["meeting_id"])
    )
    session.execute(delete(SummarizerSegment).where(SummarizerSegment.meeting_id == meeting_id))
    session.execute(delete(SummarizerMeeting).where(SummarizerMeeting.meeting_id == meeting_id))


def replace_segments(session: Session, event: MeetingEvent, now: datetime) -> int:
    """`transcript_replaced`: forget the old segments of the replaced streams and summarise
    the meeting again from what is kept (the job's segments, which may still be arriving).
    The task ledger stays, so a task said again keeps its key (and its card). A replay
    drops nothing, so it changes nothing. The number of segments dropped."""
    job_id, streams = event.upload_id, event.replaced_streams
    if job_id is None:
        return 0
    return _forget(session, event.meeting_id, lambda s: replaced_by_job(s, job_id, streams), now)


def forget_failed_job(session: Session, event: MeetingEvent, now: datetime) -> int:
    """A re-transcription's `recording_failed`: forget the segments it had sent, so the
    old transcript is summarised alone again (an upload's failure matches no stream)."""
    job_id = event.upload_id
    if job_id is None:
        return 0
    return _forget(session, event.meeting_id, lambda s: of_job(s, job_id), now)


def of_failed_job(session: Session, segment: TranscriptSegment) -> bool:
    """Whether a final is of a re-transcription that failed (the gateway's job row says)."""
    job_id, _original = original_stream(segment.stream_id)
    if job_id is None:
        return False
    status = session.scalar(select(Retranscription.status).where(Retranscription.id == job_id))
    return status == "failed"


def _forget(
    session: Session, meeting_id: str, dropped: Callable[[str], bool], now: datetime
) -> int:
    """Delete the meeting's segments whose stream `dropped` names and make every kept one
    new to the next summary (a new final one for an ended meeting). Pending corrections
    were of the segments of before and are dropped with them. How many were deleted."""
    rows = session.execute(
        select(SummarizerSegment.id, SummarizerSegment.stream_id).where(
            SummarizerSegment.meeting_id == meeting_id
        )
    ).all()
    old = [row.id for row in rows if dropped(row.stream_id)]
    if not old:
        return 0
    session.execute(delete(SummarizerSegment).where(SummarizerSegment.id.in_(old)))
    kept = list(
        session.execute(
            select(SummarizerSegment.text).where(SummarizerSegment.meeting_id == meeting_id)
        ).scalars()
    )
    state = _state(session, meeting_id, now)
    state.segments_total = len(kept)
    state.words_total = sum(count_words(text) for text in kept)
    state.segments_summarized = 0
    state.words_summarized = 0
    state.summarized_until = None
    state.final_published = False
    state.pending_corrections = []
    state.updated_at = now
    return len(old)


def record_segment(session: Session, segment: TranscriptSegment, now: datetime) -> bool:
    """Keep a final segment once; True when it was new (a replay changes nothing). A speaker
    renamed before it came keeps the name (the gateway's label): one voice, one name."""
    label = session.scalar(
        select(SpeakerLabel.label).where(
            SpeakerLabel.meeting_id == segment.meeting_id,
            SpeakerLabel.stream_id == segment.speaker_key,
        )
    )
    inserted = session.execute(
        insert(SummarizerSegment)
        .values(
            id=segment.id,
            meeting_id=segment.meeting_id,
            stream_id=segment.stream_id,
            participant_id=segment.participant_id,
            speaker=label or segment.speaker,
            speaker_id=segment.speaker_id,
            start=segment.start,
            text=segment.text,
            language=segment.language,
        )
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(SummarizerSegment.id)
    ).first()
    if inserted is None:
        return False
    state = _state(session, segment.meeting_id, now)
    state.segments_total += 1
    state.words_total += count_words(segment.text)
    state.last_speech_at = now
    # A room voice ("Room 2") is not the name of the microphone's participant.
    if segment.participant_id and segment.speaker and segment.speaker_id is None:
        state.participants = {**state.participants, segment.participant_id: segment.speaker}
    return True


def record_event(session: Session, event: MeetingEvent, now: datetime) -> None:
    """Participants joining (names for owners), their streams until the transcriber has
    finished them, and the end of the meeting."""
    state = _state(session, event.meeting_id, now)
    if event.type == "participant_joined":
        if event.participant_id and event.participant_name:
            participants = {**state.participants, event.participant_id: event.participant_name}
            state.participants = participants
        if event.stream_id and event.stream_id not in state.open_streams:
            state.open_streams = [*state.open_streams, event.stream_id]
    elif event.type == "stream_transcribed" and event.stream_id in state.open_streams:
        state.open_streams = [s for s in state.open_streams if s != event.stream_id]
    elif event.type == "started" and event.language:
        state.language = event.language
    elif event.type == "ended" and state.ended_at is None:
        state.ended_at = now  # when we learnt it: the final summary waits a grace period


def record_correction(session: Session, event: MeetingEvent, now: datetime) -> None:
    """Apply a member's correction to the stored segment (stored now if it had not arrived:
    the transcriber's copy, arriving later, then changes nothing) and note it for the next
    summary. A speaker rename renames the lines of its speaker key (a stream's own or a voice's)."""
    state = _state(session, event.meeting_id, now)
    segment = event.segment
    if event.type == "segment_corrected" and segment is not None:
        before = session.scalar(
            select(SummarizerSegment.text).where(SummarizerSegment.id == segment.id)
        )
        if before is None:
            record_segment(session, segment, now)
            before = event.original_text or ""
        if before == segment.text:
            return
        session.execute(
            update(SummarizerSegment)
            .where(SummarizerSegment.id == segment.id)
            .values(text=segment.text)
        )
        state.words_total += count_words(segment.text) - count_words(before)
        note = {"segment_id": segment.id, "before": before, "after": segment.text}
    elif event.type == "speaker_renamed" and event.stream_id and event.participant_name:
        session.execute(
            update(SummarizerSegment)
            .where(
                SummarizerSegment.meeting_id == event.meeting_id,
                func.coalesce(SummarizerSegment.speaker_id, SummarizerSegment.stream_id)
                == event.stream_id,
            )
            .values(speaker=event.participant_name)
        )
        note = {"stream_id": event.stream_id, "speaker": event.participant_name}
    else:
        return
    state.pending_corrections = [*(state.pending_corrections or []), note]


def _state(session: Session, meeting_id: str, now: datetime) -> SummarizerMeeting:
    session.execute(
        insert(SummarizerMeeting)
        .values(
            meeting_id=meeting_id,
            participants={},
            segments_total=0,
            words_total=0,
            segments_summarized=0,
            words_summarized=0,
            revision=0,
            tasks=[],
            summary={},
            final_published=False,
            updated_at=now,
            pending_corrections=[],
            open_streams=[],
        )
        .on_conflict_do_nothing(index_elements=["meeting_id"])
    )
    state = session.execute(
        select(SummarizerMeeting)
        .where(SummarizerMeeting.meeting_id == meeting_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    return state


def lock_state(session: Session, meeting_id: str) -> SummarizerMeeting | None:
    return session.execute(
        select(SummarizerMeeting)
        .where(SummarizerMeeting.meeting_id == meeting_id)
        .with_for_update()
    ).scalar_one_or_none()


def utterances(
    session: Session, meeting_id: str, after: datetime | None
) -> tuple[list[Utterance], set[str], datetime | None]:
    """The meeting's final segments in meeting order, the ids of those stored after `after`,
    and the newest storage time (what the next summary counts as already seen)."""
    rows = list(
        session.execute(
            select(SummarizerSegment)
            .where(SummarizerSegment.meeting_id == meeting_id)
            .order_by(SummarizerSegment.start, SummarizerSegment.id)
        ).scalars()
    )
    new = {r.id for r in rows if after is None or r.created_at > after}
    newest = max((r.created_at for r in rows), default=after)
    spoken = [
        Utterance(
            r.id,
            r.speaker,
            r.start,
            r.text,
            # A room voice is known by its name (a member's once renamed so), not as its mic's.
            participant_id=r.participant_id if r.speaker_id is None else None,
            action_score=r.action_score,
        )
        for r in rows
    ]
    return spoken, new, newest


def keep_scores(session: Session, scores: dict[str, float]) -> None:
    """Store the detector's score of each segment (written once, read by every summary)."""
    for segment_id, score in scores.items():
        session.execute(
            update(SummarizerSegment)
            .where(SummarizerSegment.id == segment_id)
            .values(action_score=score)
        )


def meeting_facts(session: Session, state: SummarizerMeeting) -> MeetingFacts:
    """Members, local date, zone and language: from the meetings tables where they exist."""
    meeting = session.get(Meeting, state.meeting_id)
    members: dict[str, Member] = {
        pid: Member(pid, name) for pid, name in (state.participants or {}).items()
    }
    zone_name = "UTC"
    started = state.updated_at
    language = state.language
    if meeting is not None:
        zone_name = meeting.time_zone or "UTC"
        started = meeting.created_at
        language = meeting.language if meeting.language in ("en", "ko") else language
        for user in session.execute(
            select(User)
            .join(MeetingMember, MeetingMember.user_id == User.id)
            .where(MeetingMember.meeting_id == meeting.id)
        ).scalars():
            members[user.id] = Member(user.id, user.display_name)
    if language not in ("en", "ko"):
        spoken = Counter(
            session.execute(
                select(SummarizerSegment.language).where(
                    SummarizerSegment.meeting_id == state.meeting_id
                )
            ).scalars()
        )
        language = next((lang for lang, _n in spoken.most_common() if lang in ("en", "ko")), "en")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone_name, zone = "UTC", ZoneInfo("UTC")
    return MeetingFacts(
        meeting_id=state.meeting_id,
        language=language or "en",
        date=started.astimezone(zone).date(),
        time_zone=zone_name,
        members=tuple(sorted(members.values(), key=lambda m: m.name)),
        board_id=meeting.board_id if meeting is not None else None,
        tasks=meeting.tasks if meeting is not None else None,
    )
