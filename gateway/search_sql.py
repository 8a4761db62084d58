"""The SQL of a search (gateway/search.py): each kind's query over the caller's meetings.

Titles, final segments (and their corrections), summary parts and cards each give their
best rows in one common row shape, ranked by `Terms`: the exact phrase first, then
full-text rank (English) or bigram rank (Korean), with a small bonus by kind.
"""

from __future__ import annotations

from typing import Any, Literal

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
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select

from gateway.search_terms import SearchQuery, like_pattern, word_phrase_regex
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

Text = ColumnElement[str] | InstrumentedAttribute[str]
HitKind = Literal["meeting", "segment", "summary", "card"]
# Ties of relevance go to the more specific kinds; the phrase bonus outweighs all of these.
KIND_BONUS = {"meeting": 0.3, "summary": 0.2, "card": 0.2, "segment": 0.0}
PHRASE_BONUS = 4.0
SEGMENT_CANDIDATES = 200
SUMMARY_CANDIDATES = 30
ENGLISH: ColumnElement[Any] = literal_column("'english'::regconfig")
SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")


class Terms:
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


def segment_hits(doc: Any, score: Any) -> Select[Any]:
    """Segment hits in the common row shape: who spoke, when, on which clock."""
    seg = TranscriptSegmentRow
    offset_s = func.greatest(
        0.0, func.extract("epoch", MeetingStream.first_joined_at - Meeting.created_at)
    )
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
            # A label is keyed by the segment's speaker key: its room voice, else its stream.
            (SpeakerLabel.meeting_id == seg.meeting_id)
            & (SpeakerLabel.stream_id == func.coalesce(seg.speaker_id, seg.stream_id)),
        )
    )


def segments_by_id(ids: list[str], user_id: str) -> Select[Any]:
    """The hit rows of these segments of the meetings of `user_id` (semantic hits: the
    ranking is the caller's), with the newest correction's text where there is one."""
    seg = TranscriptSegmentRow
    mine = select(MeetingMember.meeting_id).where(MeetingMember.user_id == user_id)
    corrected = (
        select(TranscriptCorrection.text)
        .where(TranscriptCorrection.segment_id == seg.id)
        .order_by(TranscriptCorrection.version.desc())
        .limit(1)
        .scalar_subquery()
    )
    return segment_hits(func.coalesce(corrected, seg.text), literal(0.0, Float)).where(
        seg.id.in_(ids), seg.meeting_id.in_(mine)
    )


def hit_queries(terms: Terms, user_id: str, take: int) -> list[Select[Any]]:
    """Each kind's best `take` hits among the meetings of `user_id`, in one row shape."""
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
