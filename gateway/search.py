"""`GET /api/v1/search`: one ranked search over the caller's meetings.

Titles, final transcript segments, summaries (overview, key points, decisions) and the
cards of the meetings the caller is a member of (cards as `card_visible_to` allows them).
Ranking: the exact phrase first, then full-text rank (English) or bigram rank (Korean),
with a small bonus by kind. Each kind's best `offset + limit` rows are taken in SQL and
merged, so a page costs the same however many rows match.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import (
    Float,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select

from gateway.deps import PrincipalDep, SessionDep
from gateway.search_terms import (
    SearchQuery,
    like_pattern,
    parse_query,
    snippet,
    word_phrase_regex,
)
from vori.auth import card_visible_to
from vori.db.tables import (
    Card,
    Meeting,
    MeetingMember,
    MeetingStream,
    MeetingSummaryRow,
    SpeakerLabel,
    TranscriptCorrection,
    TranscriptSegmentRow,
)

router = APIRouter(prefix="/api/v1", tags=["search"])

Text = ColumnElement[str] | InstrumentedAttribute[str]
HitKind = Literal["meeting", "segment", "summary", "card"]
# Ties of relevance go to the more specific kinds; the phrase bonus outweighs all of these.
KIND_BONUS = {"meeting": 0.3, "summary": 0.2, "card": 0.2, "segment": 0.0}
PHRASE_BONUS = 4.0
SEGMENT_CANDIDATES = 200
SUMMARY_CANDIDATES = 30
ENGLISH: ColumnElement[Any] = literal_column("'english'::regconfig")
SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")


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


class _Terms:
    """The SQL side of a query: match and score expressions over any text column."""

    def __init__(self, query: SearchQuery, english: bool) -> None:
        self.query = query
        # All-stop-word English terms ("the") give an empty tsquery: matched by a regex.
        self.english = english
        self.tsquery = func.plainto_tsquery(ENGLISH, " ".join(query.words))
        self.bigram_query = func.plainto_tsquery(SIMPLE, " ".join(query.bigrams))

    def matches(self, doc: Text) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = []
        if self.query.words:
            if self.english:
                conditions.append(func.to_tsvector(ENGLISH, doc).op("@@")(self.tsquery))
            else:  # only stop words ("it was"): the phrase, as whole words
                # The ILIKE first: several times cheaper than the regex, it leaves it few rows.
                phrase = like_pattern(" ".join(self.query.words))
                conditions.append(doc.ilike(phrase, escape="\\"))
                conditions.append(doc.op("~*")(word_phrase_regex(self.query.words)))
        if self.query.bigrams:
            conditions.append(func.vori_hangul_bigrams(doc).op("@@")(self.bigram_query))
        conditions += [doc.ilike(like_pattern(t), escape="\\") for t in self.query.hangul_terms]
        return and_(true(), *conditions)

    @property
    def stop_words_only(self) -> bool:
        """A query of English stop words alone ("to do"): no index holds them."""
        return bool(self.query.words) and not self.english and not self.query.hangul_terms

    def candidates(self, query: Select[Any], *order: Any) -> Select[Any]:
        """The rows worth ranking: the best by the cheap score; for stop words alone the
        first found, as every row is scanned for them and all are equally plain (ordering
        them scanned all 60,000 segments: 200 ms, against the few needed for a page)."""
        return query if self.stop_words_only else query.order_by(*order)

    def phrase_bonus(self, doc: Text) -> ColumnElement[Any]:
        return case(
            (doc.ilike(like_pattern(self.query.phrase), escape="\\"), PHRASE_BONUS), else_=0.0
        )

    def cheap_score(self, doc: Text) -> ColumnElement[float]:
        """The phrase, then shorter texts: what picks the candidates that `score` ranks."""
        return cast(self.phrase_bonus(doc) + 1.0 / (1.0 + func.ln(1.0 + func.length(doc))), Float)

    def score(self, doc: Text, kind: HitKind) -> ColumnElement[float]:
        total: ColumnElement[Any] = literal(KIND_BONUS[kind], Float)
        total = total + self.phrase_bonus(doc)
        if self.query.words and self.english:
            # 1: divided by 1 + log(length), so a short exact hit beats a long rambling one.
            total = total + func.ts_rank_cd(func.to_tsvector(ENGLISH, doc), self.tsquery, 1)
        if self.query.bigrams:
            total = total + func.ts_rank(func.vori_hangul_bigrams(doc), self.bigram_query, 1)
        return cast(total, Float)


def _columns(
    kind: HitKind,
    meeting_id: Any,
    doc: Any,
    score: Any,
    *,
    ref: Any = None,
    field: Any = None,
    stream_id: Any = None,
    speaker: Any = None,
    start: Any = None,
    end: Any = None,
    meeting_start: Any = None,
    board_id: Any = None,
) -> list[Any]:
    """The common row shape of every kind's query (nulls where a kind has no such thing)."""

    def text_or_null(value: Any) -> Any:
        return cast(null(), String) if value is None else value

    def float_or_null(value: Any) -> Any:
        return cast(null(), Float) if value is None else value

    return [
        literal(kind, String).label("kind"),
        meeting_id.label("meeting_id"),
        doc.label("doc"),
        score.label("score"),
        text_or_null(ref).label("ref"),
        text_or_null(field).label("field"),
        text_or_null(stream_id).label("stream_id"),
        text_or_null(speaker).label("speaker"),
        float_or_null(start).label("start"),
        float_or_null(end).label("end"),
        float_or_null(meeting_start).label("meeting_start"),
        text_or_null(board_id).label("board_id"),
    ]


def _queries(terms: _Terms, user_id: str, take: int) -> list[Select[Any]]:
    mine = select(MeetingMember.meeting_id).where(MeetingMember.user_id == user_id)

    title_score = terms.score(Meeting.title, "meeting")
    titles = (
        select(*_columns("meeting", Meeting.id, Meeting.title, title_score))
        .where(Meeting.id.in_(mine), terms.matches(Meeting.title))
        .order_by(title_score.desc())
        .limit(take)
    )

    seg = TranscriptSegmentRow
    # A common word matches thousands of segments, and ranking recomputes each one's text
    # vector (p95 150 ms over 1,000 meetings): the cheap score picks the candidates first.
    # A corrected segment is found by its newest correction, not by what was transcribed.
    corrected_ids = select(TranscriptCorrection.segment_id).where(
        TranscriptCorrection.meeting_id.in_(mine)
    )
    candidates = terms.candidates(
        select(seg.id).where(
            seg.meeting_id.in_(mine), terms.matches(seg.text), seg.id.not_in(corrected_ids)
        ),
        terms.cheap_score(seg.text).desc(),
        seg.start,
    ).limit(max(take, SEGMENT_CANDIDATES))
    segment_score = terms.score(seg.text, "segment")
    offset_s = func.greatest(
        0.0, func.extract("epoch", MeetingStream.first_joined_at - Meeting.created_at)
    )

    def segment_hits(doc: Any, score: Any) -> Select[Any]:
        return (
            select(
                *_columns(
                    "segment",
                    seg.meeting_id,
                    doc,
                    score,
                    ref=seg.id,
                    stream_id=seg.stream_id,
                    speaker=func.coalesce(
                        SpeakerLabel.label, seg.speaker, MeetingStream.participant_name
                    ),
                    start=seg.start,
                    end=seg.end,
                    meeting_start=func.coalesce(offset_s, 0.0) + seg.start,
                )
            )
            .join(Meeting, Meeting.id == seg.meeting_id)
            .outerjoin(MeetingStream, MeetingStream.stream_id == seg.stream_id)
            .outerjoin(
                SpeakerLabel,
                (SpeakerLabel.meeting_id == seg.meeting_id)
                & (SpeakerLabel.stream_id == seg.stream_id),
            )
        )

    segments = (
        segment_hits(seg.text, segment_score)
        .where(seg.id.in_(candidates))
        .order_by(segment_score.desc(), seg.start)
        .limit(take)
    )
    # Corrections are few (people type them): matched without an index of their own.
    latest = (
        select(TranscriptCorrection.segment_id, TranscriptCorrection.text)
        .where(TranscriptCorrection.meeting_id.in_(mine))
        .ext(distinct_on(TranscriptCorrection.segment_id))
        .order_by(TranscriptCorrection.segment_id, TranscriptCorrection.version.desc())
        .subquery("corrected_text")
    )
    corrected_score = terms.score(latest.c.text, "segment")
    corrected = (
        segment_hits(latest.c.text, corrected_score)
        .join(latest, latest.c.segment_id == seg.id)
        .where(terms.matches(latest.c.text))
        .order_by(corrected_score.desc(), seg.start)
        .limit(take)
    )

    # The index finds the summaries that match as a whole; the best of them by the cheap
    # score have their overview, key points and decisions matched and ranked each as a
    # document of its own (all of them: 50-100 ms for a common word over 1,000 meetings).
    summary_doc = MeetingSummaryRow.search_document()
    matching = (
        terms.candidates(
            select(MeetingSummaryRow.meeting_id).where(
                MeetingSummaryRow.meeting_id.in_(mine), terms.matches(summary_doc)
            ),
            terms.cheap_score(summary_doc).desc(),
            MeetingSummaryRow.meeting_id,
        )
        .limit(max(take, SUMMARY_CANDIDATES))
        .cte("matching_summaries")  # once, not once per kind of part
    )
    parts = union_all(
        select(
            MeetingSummaryRow.meeting_id,
            literal("overview", String).label("field"),
            MeetingSummaryRow.overview.label("doc"),
        ).where(MeetingSummaryRow.meeting_id.in_(select(matching.c.meeting_id))),
        *(
            select(
                MeetingSummaryRow.meeting_id,
                literal(name, String).label("field"),
                func.json_array_elements_text(column).label("doc"),
            ).where(MeetingSummaryRow.meeting_id.in_(select(matching.c.meeting_id)))
            for name, column in (
                ("key_point", MeetingSummaryRow.key_points),
                ("decision", MeetingSummaryRow.decisions),
            )
        ),
    ).subquery("summary_parts")
    summary_score = terms.score(parts.c.doc, "summary")
    summaries = (
        select(
            *_columns(
                "summary", parts.c.meeting_id, parts.c.doc, summary_score, field=parts.c.field
            )
        )
        .where(terms.matches(parts.c.doc))
        .order_by(summary_score.desc())
        .limit(take)
    )

    card_doc = Card.search_document()  # as the card indexes spell it
    card_score = terms.score(card_doc, "card")
    shown = case(
        (Card.description == "", Card.title),
        else_=Card.title + literal(" \u2014 ") + Card.description,
    )
    cards = terms.candidates(
        select(
            *_columns(
                "card", Card.meeting_id, shown, card_score, ref=Card.id, board_id=Card.board_id
            )
        ).where(
            Card.meeting_id.in_(mine),  # a shared board's cards of others' meetings stay out
            card_visible_to(user_id),
            Card.archived.is_(False),
            terms.matches(card_doc),
        ),
        card_score.desc(),
    ).limit(take)
    return [titles, segments, corrected, summaries, cards]


def search(session: Session, user_id: str, raw: str, limit: int, offset: int) -> SearchOut:
    """The page `[offset, offset + limit)` of the caller's hits, best first."""
    query = parse_query(raw)
    if query.empty:
        return SearchOut(query=raw, hits=[], offset=offset, limit=limit, next_offset=None)
    english = bool(query.words) and bool(
        session.scalar(select(func.numnode(func.plainto_tsquery(ENGLISH, " ".join(query.words)))))
    )
    take = offset + limit + 1
    merged = union_all(*_queries(_Terms(query, english), user_id, take)).subquery("hits")
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
