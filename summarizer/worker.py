"""The summarizer's Kafka shell: store what arrives, summarise meetings that are due.

The handler only records a final segment or a meeting event in PostgreSQL (idempotent),
so the offset is stored only once what it carried is durable. Summaries run from the
loop's tick: a burst of segments, or a replay, makes one summary, not one per segment.
A summary is published and flushed before its state is saved, so a crash in between
repeats it with the same task keys rather than losing it.

A `deleted` meeting event removes the meeting's segments and state (the summarizer is their
one writer) and leaves a mark that makes later segments and events of it no-ops. A
`transcript_replaced` one forgets the old segments of a re-transcribed meeting's streams and
makes the meeting due for a new summary (store.replace_segments).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Literal

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from summarizer import metrics, store
from summarizer.corrections import Correction, apply_corrections
from summarizer.detector import ActionDetector, with_scores
from summarizer.digest import Digest
from summarizer.due import due_meetings
from summarizer.engine import Summarizer
from summarizer.facts import Utterance
from summarizer.ledger import Ledger
from vori.db.tables import SummarizerMeeting
from vori.events import (
    Event,
    MeetingEvent,
    MeetingSummary,
    TaskProposal,
    TranscriptSegment,
    utc_now,
)
from vori.kafka import EventProducer, MessageContext
from vori.settings import SummarizerSettings

log = logging.getLogger(__name__)

# The longest the summaries wait for the loop to read the segments topic to its end: a
# backlog that never drains (more segments than the loop can store) must not stop them, so
# behind one, meetings are checked once per this many seconds.
MAX_BACKLOG_WAIT_S = 20.0


class DeliveryError(RuntimeError):
    """Kafka did not confirm a summary; the meeting stays due and is tried again."""


class SummarizerWorker:
    """Handler and tick of the summarizer's consumer loop."""

    def __init__(
        self,
        config: SummarizerSettings,
        sessions: sessionmaker[Session],
        producer: EventProducer,
        summarizer: Summarizer,
        *,
        clock: Callable[[], datetime] = utc_now,
        check_every_s: float = 1.0,
        detector: ActionDetector | None = None,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.producer = producer
        self.summarizer = summarizer
        self.detector = detector
        self.clock = clock
        self.check_every_s = check_every_s
        self._next_check = 0.0
        # Whether every segment published so far has been stored (the loop's caught_up).
        # A meeting's end arrives on another topic than its segments: after a restart, or
        # behind a backlog, the end can be read first, and a final summary of the segments
        # stored by then puts the meeting's wrap-up in its middle (a task that a one-shot
        # summary does not give). None: summaries do not wait.
        self.segments_caught_up: Callable[[], bool] | None = None
        self._behind_since: float | None = None

    def handle(self, event: Event, _context: MessageContext) -> None:
        """Record a final segment or a meeting event, forget a deleted meeting; everything
        else is not ours."""
        if isinstance(event, TranscriptSegment) and not (event.final and event.text.strip()):
            return
        if not isinstance(event, TranscriptSegment | MeetingEvent):
            return
        now = self.clock()
        with self.sessions.begin() as session:
            store.hold_meeting(session, event.meeting_id)
            if isinstance(event, MeetingEvent) and event.type == "deleted":
                store.erase_meeting(session, event.meeting_id, now)
                log.info("meeting %s deleted: its segments and state are gone", event.meeting_id)
                return
            if store.is_deleted(session, event.meeting_id):
                return  # late: it must not bring the meeting back
            if isinstance(event, TranscriptSegment):
                if not store.of_failed_job(session, event):
                    store.record_segment(session, event, now)
            elif event.type in ("segment_corrected", "speaker_renamed"):
                store.record_correction(session, event, now)
            elif event.type == "recording_failed":
                if store.forget_failed_job(session, event, now):
                    log.info(
                        "meeting %s: failed job %s forgotten", event.meeting_id, event.upload_id
                    )
            elif event.type == "transcript_replaced":
                dropped = store.replace_segments(session, event, now)
                log.info(
                    "meeting %s: transcript replaced by %s, %d old segments forgotten",
                    event.meeting_id,
                    event.upload_id,
                    dropped,
                )
            else:
                store.record_event(session, event, now)
                if event.type == "ended":
                    # Check again once the grace period for trailing segments is over.
                    self._next_check = time.monotonic() + self.config.final_grace_s

    def tick(self) -> None:
        """Summarise every meeting that is due (checked about once a second).

        PostgreSQL away (a restart, a fail-over) fails this check, not the process: the
        meetings stay due and the next check summarises them. Raised out of the tick, the
        error would end the consumer loop and the summarizer with it."""
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + self.check_every_s
        if self.segments_caught_up is not None and not self.segments_caught_up():
            self._behind_since = self._behind_since or now
            if now - self._behind_since < MAX_BACKLOG_WAIT_S:
                return  # one summary once the backlog is stored, not one of half of it
        self._behind_since = None
        try:
            with self.sessions() as session:
                due = due_meetings(
                    session,
                    self.clock(),
                    self.config.refresh_words,
                    self.config.refresh_interval_s,
                    self.config.final_grace_s,
                    self.config.final_wait_s,
                )
            for meeting_id in due:
                self.summarize(meeting_id)
        except (OperationalError, InterfaceError) as exc:
            log.warning("summaries: PostgreSQL: %s; trying again next check", exc.orig or exc)

    def _scored(self, spoken: list[Utterance]) -> list[Utterance]:
        """Score the segments no summary has scored yet, once: each keeps its score, so the
        final summary only embeds the tail of the meeting."""
        assert self.detector is not None
        scores = self.detector.score_unscored(spoken)
        if not scores:
            return spoken
        with self.sessions.begin() as session:
            store.keep_scores(session, scores)
        return with_scores(spoken, scores)

    def summarize(self, meeting_id: str) -> MeetingSummary | None:
        """One summary of a meeting: compute, publish, then save the state."""
        with self.sessions() as session:
            state = session.get(SummarizerMeeting, meeting_id)
            if state is None:
                return None
            facts = store.meeting_facts(session, state)
            spoken, new_ids, newest = store.utterances(session, meeting_id, state.summarized_until)
            if self.detector is not None:
                spoken = self._scored(spoken)
            previous = dict(state.summary or {})
            last = Digest(
                overview=str(previous.get("overview", "")),
                key_points=list(previous.get("key_points", [])),
                decisions=list(previous.get("decisions", [])),
                open_questions=list(previous.get("open_questions", [])),
            )
            ledger = Ledger.from_json(meeting_id, list(state.tasks or []))
            pending = list(state.pending_corrections or [])
            corrections = [c for c in map(Correction.from_json, pending) if c is not None]
            corrected = apply_corrections(ledger, corrections)
            new_ids |= {c.segment_id for c in corrections}
            ended = state.ended_at is not None
            words_seen = state.words_total
            segments_seen = state.segments_total
            revision = state.revision + 1
        started = time.monotonic()
        kind: Literal["rolling", "final"] = "final" if ended else "rolling"
        # A rename alone changes no words: the rules re-read the transcript with the new
        # names; the LLM's digest stays as it was (re-reading a whole speaker's lines is not
        # worth a rename).
        rules_reread = bool(pending) and not corrections and self.summarizer.ask is None
        if new_ids or not previous or rules_reread:
            outcome = self.summarizer.summarize(facts, spoken, ledger, new_ids, last, final=ended)
            ledger, digest, source, changed = (
                outcome.ledger,
                outcome.digest,
                outcome.source,
                outcome.changed,
            )
            if outcome.llm_error is not None:
                metrics.LLM_FALLBACKS.labels(kind).inc()
        else:  # ended with nothing new: the last summary becomes the final one
            digest = last
            source, changed = previous.get("source", "rules"), []
        summary = MeetingSummary(
            meeting_id=meeting_id,
            kind=kind,
            revision=revision,
            language=facts.language,
            overview=digest.overview,
            key_points=digest.key_points,
            decisions=digest.decisions,
            open_questions=digest.open_questions,
            action_items=ledger.items(),
            source=source,
        )
        # Tasks a correction changed are proposed again with the corrected words.
        changed_keys = {t.key for t in changed} | (corrected & set(ledger.tasks))
        proposals = (
            ledger.items()
            if ended
            else [t.to_item() for t in ledger.tasks.values() if t.key in changed_keys]
        )
        self.producer.publish(summary)
        if proposals:
            self.producer.publish(
                TaskProposal(
                    meeting_id=meeting_id, board_id=facts.board_id, items=proposals, source=source
                )
            )
        if self.producer.flush(30) != 0:
            raise DeliveryError(f"summary of {meeting_id} not confirmed by Kafka")
        with self.sessions.begin() as session:
            state = store.lock_state(session, meeting_id)
            if state is None:
                log.info("meeting %s was deleted while it was summarised", meeting_id)
                return None
            state.tasks = ledger.to_json()
            state.summary = {
                "overview": digest.overview,
                "key_points": digest.key_points,
                "decisions": digest.decisions,
                "open_questions": digest.open_questions,
                "source": source,
            }
            state.revision = revision
            state.words_summarized = words_seen
            state.segments_summarized = segments_seen
            state.summarized_until = newest
            state.updated_at = self.clock()
            state.final_published = ended
            # Corrections noted while this summary ran wait for the next one.
            state.pending_corrections = list(state.pending_corrections or [])[len(pending) :]
        metrics.SUMMARIES.labels(kind, source).inc()
        metrics.SUMMARY_SECONDS.labels(kind).observe(time.monotonic() - started)
        log.info(
            "meeting %s: %s summary r%d from %s, %d items (%d changed) in %.1f s",
            meeting_id,
            summary.kind,
            revision,
            source,
            len(summary.action_items),
            len(proposals),
            time.monotonic() - started,
        )
        return summary
