"""Semantic search: e5 vectors of final segments, for `GET /api/v1/search`.

A thread of each gateway process (`SegmentEmbedder`) embeds the final segments that have
no vector yet, whoever stored them (the persistence consumer, a transcript import, a
re-transcription) and whenever (a gateway that was down catches up), so a slow embedder
never holds the consumer that stores segments and the live transcript. The rows it works
on are locked, skipping locked ones, so several gateway processes share the work.

At search time (`SemanticIndex`) the query's vector is compared with those of the
caller's meetings' segments, which each process keeps in memory per meeting (read from
PostgreSQL once, again only when a meeting has gained vectors). Hits far below the best
one are dropped; gateway/search.py puts the rest after the full-text hits. The margin
and the value of it all were measured on real meetings (bench/search_quality.py,
docs/protocol.md).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy import exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from vori.db.engine import DATABASE_AWAY
from vori.db.tables import MeetingMember, SegmentEmbedding, TranscriptSegmentRow
from vori.embedding import DIMENSIONS, Embedder, EmbedderUnavailableError, from_bytes, to_bytes

log = logging.getLogger(__name__)

MODEL = "multilingual-e5-small-q4"
MIN_WORDS = 4  # "yeah", "okay, right": no vector (bench/search_quality.py embeds the same)
# Hits further below the query's best one are dropped: 95% of the right meetings' best
# hits lie within it (the tuning half of bench/search_quality.py). No absolute floor: e5's
# cosine gives queries about nothing ever said ("blorft wuzzle") 0.82-0.88, as much as
# right answers get, and a short paraphrase's right answer less.
SIMILARITY_MARGIN = 0.042
BATCH = 8  # segments per embedding call: ~0.1 s, what a search may wait for the model
CATCH_UP_EVERY = timedelta(minutes=10)
RECENT = timedelta(minutes=2)  # longer than any transaction that stores segments
# Kept as float32 (converting float16 on every search cost 34 ms over 1,000 meetings).
MAX_CACHED_VECTORS = 150_000  # ~220 MiB per gateway process


class SharedModel:
    """One model per process, loaded on first use; calls take turns (the engine is not
    known to be safe for concurrent calls)."""

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._lock = threading.Lock()
        self._embedder: Embedder | None = None
        self.unavailable: str | None = None

    def _model(self) -> Embedder | None:
        if self._embedder is None and self.unavailable is None:
            try:
                self._embedder = Embedder(self._threads)
            except EmbedderUnavailableError as exc:
                self.unavailable = str(exc)
                log.error("semantic search off: %s", exc)
        return self._embedder

    def query(self, text: str) -> npt.NDArray[np.float32] | None:
        with self._lock:
            model = self._model()
            return None if model is None else model.embed([text])[0]

    def passages(self, texts: list[str]) -> npt.NDArray[np.float32] | None:
        with self._lock:
            model = self._model()
            return None if model is None else model.embed_passages(texts)


class SegmentEmbedder:
    """Stores a vector (or none, for a short segment) for every final segment lacking one."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        model: SharedModel,
        stop: threading.Event,
        idle_s: float = 1.0,
    ) -> None:
        self.sessions = sessions
        self.model = model
        self.stop = stop
        self.idle_s = idle_s
        self.embedded = 0

    def run(self) -> None:
        caught_up_at: datetime | None = None
        while not self.stop.is_set():
            try:
                now = self._now()
                full = caught_up_at is None or now - caught_up_at > CATCH_UP_EVERY
                done = self.embed_batch(None if full else now - RECENT)
                if done == 0 and full:
                    caught_up_at = now
            except DATABASE_AWAY as exc:
                log.warning("segment embedder: PostgreSQL: %s; trying again", exc)
                done = 0
            if self.model.unavailable is not None:
                return
            if done == 0:
                self.stop.wait(self.idle_s)

    def _now(self) -> datetime:
        with self.sessions() as session:
            return session.scalar(select(func.now()))  # type: ignore[return-value]

    def embed_batch(self, since: datetime | None) -> int:
        """Embed up to BATCH segments without a vector (stored since `since`, or any):
        how many were done."""
        seg = TranscriptSegmentRow
        query = select(seg.id, seg.meeting_id, seg.text).where(
            ~exists().where(SegmentEmbedding.segment_id == seg.id)
        )
        if since is not None:
            query = query.where(seg.created_at >= since)
        with self.sessions.begin() as session:
            rows = session.execute(
                query.limit(BATCH).with_for_update(of=seg, skip_locked=True)
            ).all()
            if not rows:
                return 0
            meaningful = [row for row in rows if len(row.text.split()) >= MIN_WORDS]
            stored: dict[str, bytes] = {}
            if meaningful:
                vectors = self.model.passages([row.text for row in meaningful])
                if vectors is None:  # no model: leave them for a gateway that has one
                    return 0
                stored = {row.id: to_bytes(v) for row, v in zip(meaningful, vectors, strict=True)}
            session.execute(
                insert(SegmentEmbedding)
                .values(
                    [
                        {
                            "segment_id": row.id,
                            "meeting_id": row.meeting_id,
                            "vector": stored.get(row.id),
                            "model": MODEL,
                        }
                        for row in rows
                    ]
                )
                .on_conflict_do_nothing(index_elements=[SegmentEmbedding.segment_id])
            )
        self.embedded += len(rows)
        return len(rows)


@dataclass
class _MeetingVectors:
    rows: int  # of segment_embeddings, with or without a vector: when it moves, read again
    segment_ids: list[str]
    vectors: npt.NDArray[np.float32]


class SemanticIndex:
    """The best segments of the caller's meetings for a query, by cosine similarity."""

    def __init__(self, model: SharedModel) -> None:
        self.model = model
        self._lock = threading.Lock()
        self._meetings: OrderedDict[str, _MeetingVectors] = OrderedDict()
        self._cached = 0

    def top(self, session: Session, user_id: str, text: str, take: int) -> list[tuple[str, float]]:
        """Up to `take` (segment id, similarity) pairs near the best one, best first."""
        query = self.model.query(text)
        if query is None:
            return []
        mine = select(MeetingMember.meeting_id).where(MeetingMember.user_id == user_id)
        counts: dict[str, int] = {
            meeting_id: count
            for meeting_id, count in session.execute(
                select(SegmentEmbedding.meeting_id, func.count())  # the index alone
                .where(SegmentEmbedding.meeting_id.in_(mine))
                .group_by(SegmentEmbedding.meeting_id)
            )
        }
        ids: list[str] = []
        scores: list[npt.NDArray[np.float32]] = []
        for found in self._vectors(session, counts):
            ids += found.segment_ids
            scores.append(found.vectors @ query)
        if not ids:
            return []
        every = np.concatenate(scores)
        best = np.argpartition(-every, min(take, len(every) - 1))[:take]
        best = best[np.argsort(-every[best])]
        floor = every[best[0]] - SIMILARITY_MARGIN
        return [(ids[i], float(every[i])) for i in best if every[i] >= floor]

    def _vectors(self, session: Session, counts: dict[str, int]) -> list[_MeetingVectors]:
        """Each meeting's vectors: from memory, or read again where the count moved."""
        with self._lock:
            stale = [
                m
                for m, n in counts.items()
                if m not in self._meetings or self._meetings[m].rows != n
            ]
        fresh: dict[str, _MeetingVectors] = {}
        if stale:
            rows = session.execute(
                select(
                    SegmentEmbedding.meeting_id,
                    SegmentEmbedding.segment_id,
                    SegmentEmbedding.vector,
                ).where(
                    SegmentEmbedding.meeting_id.in_(stale), SegmentEmbedding.vector.is_not(None)
                )
            )
            grouped: dict[str, tuple[list[str], list[bytes]]] = {m: ([], []) for m in stale}
            for meeting_id, segment_id, vector in rows:
                ids, vectors = grouped[meeting_id]
                ids.append(segment_id)
                vectors.append(vector)  # type: ignore[arg-type]
            for meeting_id, (ids, vectors) in grouped.items():
                matrix = np.zeros((0, DIMENSIONS), dtype=np.float32)
                if vectors:
                    matrix = np.stack([from_bytes(v) for v in vectors]).astype(np.float32)
                fresh[meeting_id] = _MeetingVectors(counts[meeting_id], ids, matrix)
        with self._lock:
            for meeting_id, found in fresh.items():
                old = self._meetings.pop(meeting_id, None)
                self._cached += len(found.segment_ids) - (len(old.segment_ids) if old else 0)
                self._meetings[meeting_id] = found
            result = [self._meetings[m] for m in counts if m in self._meetings]
            for meeting_id in counts:
                if meeting_id in self._meetings:
                    self._meetings.move_to_end(meeting_id)
            while self._cached > MAX_CACHED_VECTORS and len(self._meetings) > 1:
                _m, dropped = self._meetings.popitem(last=False)
                self._cached -= len(dropped.segment_ids)
        return result


class SemanticSearch:
    """What a gateway process runs for semantic search: the model, the embedder thread
    and the index that searches use."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.model = SharedModel()
        self.index = SemanticIndex(self.model)
        self._stop = threading.Event()
        self.embedder = SegmentEmbedder(sessions, self.model, self._stop)
        self._thread = threading.Thread(
            target=self.embedder.run, name="gateway-segment-embedder", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)
