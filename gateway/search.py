"""`GET /api/v1/search`: one ranked search over the caller's meetings.

Titles, final transcript segments, summaries (overview, key points, decisions) and the
cards of the meetings the caller is a member of (cards as `card_visible_to` allows them).
Ranking: the exact phrase first, then full-text rank (English) or bigram rank (Korean),
with a small bonus by kind. Each kind's best `offset + limit` rows are taken in SQL and
merged, so a page costs the same however many rows match. The SQL of each kind's query is
gateway.search_sql; this module runs them and shapes the page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from gateway.deps import PrincipalDep, SessionDep
from gateway.search_sql import ENGLISH, HitKind, Terms, hit_queries
from gateway.search_terms import SearchQuery, parse_query, snippet
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


def search(session: Session, user_id: str, raw: str, limit: int, offset: int) -> SearchOut:
    """The page `[offset, offset + limit)` of the caller's hits, best first."""
    query = parse_query(raw)
    if query.empty:
        return SearchOut(query=raw, hits=[], offset=offset, limit=limit, next_offset=None)
    english = bool(query.words) and bool(
        session.scalar(select(func.numnode(func.plainto_tsquery(ENGLISH, " ".join(query.words)))))
    )
    take = offset + limit + 1
    merged = union_all(*hit_queries(Terms(query, english), user_id, take)).subquery("hits")
    rows = session.execute(
        select(merged, Meeting.title.label("title"), Meeting.created_at.label("created_at"))
        .join(Meeting, Meeting.id == merged.c.meeting_id)
        .order_by(merged.c.score.desc(), Meeting.created_at.desc(), merged.c.ref)
        .offset(offset)
        .limit(limit + 1)
    ).all()
    hits = [_hit(row, query) for row in rows[:limit]]
    more = len(rows) > limit
    return SearchOut(
        query=raw,
        hits=hits,
        offset=offset,
        limit=limit,
        next_offset=offset + limit if more else None,
    )


def _hit(row: Any, query: SearchQuery) -> SearchHit:
    found = snippet(row.doc, query)
    return SearchHit(
        kind=row.kind,
        meeting_id=row.meeting_id,
        meeting_title=row.title,
        meeting_created_at=row.created_at,
        score=round(float(row.score), 4),
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
    q: Annotated[str, Query(min_length=1, max_length=200, description="Words or a phrase")],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
) -> SearchOut:
    """Search the titles, transcripts, summaries and cards of every meeting the caller is in."""
    return search(session, principal.user_id, q, limit, offset)
