"""`GET /api/v1/search`: one ranked search over the caller's meetings.

Titles, final transcript segments, summaries (overview, key points, decisions) and the
cards of the meetings the caller is a member of (cards as `card_visible_to` allows them).
Ranking: the exact phrase first, then full-text rank (English) or bigram rank (Korean),
with a small bonus by kind. Each kind's best `offset + limit` rows are taken in SQL and
merged, so a page costs the same however many rows match. The SQL of each kind's query is
gateway.search_sql; this module runs them and shapes the page.

After the last full-text hit come the segments closest in meaning that it lacks (a query
of two words or more, gateway/semantic.py), so a paraphrase finds the moment even when no
word of it was said, and an exact phrase still comes first. Measured on real meetings
(bench/search_quality.py): as good as fusing the two lists by reciprocal rank, and it
never moves a full-text hit down.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from gateway.deps import PrincipalDep, RuntimeDep, SessionDep
from gateway.search_sql import ENGLISH, HitKind, Terms, hit_queries, segments_by_id
from gateway.search_terms import SearchQuery, parse_query, snippet
from gateway.semantic import SemanticIndex
from vori.db.tables import Meeting

router = APIRouter(prefix="/api/v1", tags=["search"])


class SearchHit(BaseModel):
    """One place a query matched, with what the web app needs to link to it."""

    kind: HitKind
    meeting_id: str
    meeting_title: str
    meeting_created_at: datetime
    score: float
    snippet: str = Field(description="Plain text; render it as text, never as HTML.")
    highlights: list[tuple[int, int]] = Field(
        description="[start, end) of each match in `snippet`, in Unicode code points."
    )
    field: str | None = Field(
        None, description="Of a summary hit: overview, key_point or decision."
    )
    segment_id: str | None = None
    stream_id: str | None = None
    speaker: str | None = None
    start: float | None = Field(None, description="Segment start, seconds of stream time.")
    end: float | None = None
    meeting_start: float | None = Field(None, description="Segment start on the meeting clock.")
    card_id: str | None = None
    board_id: str | None = None


class SearchOut(BaseModel):
    query: str
    hits: list[SearchHit]
    offset: int
    limit: int
    next_offset: int | None = Field(description="Offset of the next page; null on the last.")


def search(
    session: Session,
    user_id: str,
    raw: str,
    limit: int,
    offset: int,
    semantic: SemanticIndex | None = None,
) -> SearchOut:
    """The page `[offset, offset + limit)` of the caller's hits, best first."""
    query = parse_query(raw)
    if query.empty:
        return SearchOut(query=raw, hits=[], offset=offset, limit=limit, next_offset=None)
    english = bool(query.words) and bool(
        session.scalar(select(func.numnode(func.plainto_tsquery(ENGLISH, " ".join(query.words)))))
    )
    take = offset + limit + 1
    merged = union_all(*hit_queries(Terms(query, english), user_id, take)).subquery("hits")
    lexical = session.execute(
        select(merged, Meeting.title.label("title"), Meeting.created_at.label("created_at"))
        .join(Meeting, Meeting.id == merged.c.meeting_id)
        .order_by(merged.c.score.desc(), Meeting.created_at.desc(), merged.c.ref)
        .limit(take)
    ).all()
    scored = [(row, float(row.score)) for row in lexical]
    # Fewer than `take` full-text rows are all of them: the page reaches past the last.
    if len(lexical) < take and semantic is not None and len(query.terms) >= 2:
        scored += _closest(session, user_id, raw, take, lexical, semantic)  # one word: a lookup
    rows = scored[offset:take]
    hits = [_hit(row, score, query) for row, score in rows[:limit]]
    more = len(rows) > limit
    return SearchOut(
        query=raw,
        hits=hits,
        offset=offset,
        limit=limit,
        next_offset=offset + limit if more else None,
    )


def _closest(
    session: Session,
    user_id: str,
    raw: str,
    take: int,
    lexical: Sequence[Any],
    semantic: SemanticIndex,
) -> list[tuple[Any, float]]:
    """The segments closest in meaning that the full-text rows lack, best first, scored
    under the last full-text row (its score times the similarity)."""
    said = {row.ref for row in lexical if row.kind == "segment"}
    similar = [(s, sim) for s, sim in semantic.top(session, user_id, raw, take) if s not in said]
    if not similar:
        return []
    inner = segments_by_id([s for s, _sim in similar], user_id).subquery("similar")
    found = {
        row.ref: row
        for row in session.execute(
            select(
                inner, Meeting.title.label("title"), Meeting.created_at.label("created_at")
            ).join(Meeting, Meeting.id == inner.c.meeting_id)
        ).all()
    }
    below = min((float(row.score) for row in lexical), default=1.0)
    return [(found[s], below * sim) for s, sim in similar if s in found][: take - len(lexical)]


def _hit(row: Any, score: float, query: SearchQuery) -> SearchHit:
    found = snippet(row.doc, query)
    return SearchHit(
        kind=row.kind,
        meeting_id=row.meeting_id,
        meeting_title=row.title,
        meeting_created_at=row.created_at,
        score=round(score, 4),
        snippet=found.text,
        highlights=found.highlights,
        field=row.field,
        segment_id=row.ref if row.kind == "segment" else None,
        stream_id=row.stream_id,
        speaker=row.speaker,
        start=row.start,
        end=row.end,
        meeting_start=round(row.meeting_start, 3) if row.meeting_start is not None else None,
        card_id=row.ref if row.kind == "card" else None,
        board_id=row.board_id,
    )


@router.get("/search", response_model=SearchOut)
def search_meetings(
    principal: PrincipalDep,
    session: SessionDep,
    runtime: RuntimeDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Words or a phrase")],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
) -> SearchOut:
    """Search the titles, transcripts, summaries and cards of every meeting the caller is in."""
    index = runtime.semantic.index if runtime.semantic is not None else None
    return search(session, principal.user_id, q, limit, offset, index)
