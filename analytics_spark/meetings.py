"""The per-meeting job: which meetings changed, their segments, their figures.

PostgreSQL computes each meeting's input fingerprint (a hash over its segments, streams,
speaker labels, summary and row); only meetings whose fingerprint differs from the stored
one are read and recomputed. Spark reads their segments in parallel, derives words and questions on
the JVM, groups them by meeting and hands each group to the pure core
(`analytics_spark.metrics.meeting_metrics`) on the executors.

A speaker is a segment's speaker key: on a room microphone the voice the transcriber
told apart (`speaker_id`, named by its speaker label if a member gave it one, else "Room
n"), else the participant, else the stream. A room microphone's stream counts as its
voices, not as the participant whose laptop it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from analytics_spark.grouped import figures_of
from analytics_spark.metrics import METRICS_VERSION, QUESTION_PATTERN, MeetingFigures
from analytics_spark.sources import literal, read_by_meeting, read_query
from vori.settings import Settings


@dataclass(frozen=True)
class PlannedMeeting:
    """A meeting in the run's scope, with what the figures need besides its segments."""

    meeting_id: str
    board_id: str | None
    started_at: datetime
    duration_s: float
    decisions: int
    action_items: int
    fingerprint: str
    changed: bool


def scope_sql(since: datetime | None, board: str | None) -> str:
    """Meetings in scope; a meeting without a board counts on its owner's personal board."""
    where = ["TRUE"]
    if since is not None:
        where.append(f"m.created_at >= {literal(since)}")
    if board is not None:
        where.append(f"coalesce(m.board_id, pb.id) = {literal(board)}")
    return f"""
        SELECT m.id, m.created_at, m.ended_at, coalesce(m.board_id, pb.id) AS board_id
        FROM meetings m LEFT JOIN boards pb ON pb.personal_owner_id = m.owner_id
        WHERE {" AND ".join(where)}"""


def plan_sql(since: datetime | None, board: str | None) -> str:
    """Every meeting in scope with its fingerprint and the stored one (computed in PG)."""
    return f"""
    WITH scope AS ({scope_sql(since, board)}),
    segs AS (
        SELECT s.meeting_id, count(*) AS n, max(s."end") AS last_end,
               sum(hashtext(concat_ws('|', s.id, s.stream_id, s.participant_id, s.speaker,
                                      s.speaker_id, s.start, s."end", s.text))::bigint) AS h
        FROM transcript_segments s JOIN scope ON scope.id = s.meeting_id
        GROUP BY s.meeting_id),
    streams AS (
        SELECT ms.meeting_id,
               string_agg(concat_ws('@', ms.stream_id, ms.participant_id, ms.participant_name,
                                    ms.first_joined_at), ',' ORDER BY ms.stream_id) AS st
        FROM meeting_streams ms JOIN scope ON scope.id = ms.meeting_id
        GROUP BY ms.meeting_id),
    -- A rename of a room voice changes its speaker's name: the meeting is analysed again.
    labels AS (
        SELECT l.meeting_id,
               string_agg(concat_ws('@', l.stream_id, l.label), ',' ORDER BY l.stream_id) AS lb
        FROM speaker_labels l JOIN scope ON scope.id = l.meeting_id
        GROUP BY l.meeting_id)
    SELECT scope.id AS meeting_id, scope.board_id, scope.created_at AS started_at,
           greatest(coalesce(extract(epoch FROM scope.ended_at - scope.created_at), 0),
                    0)::float8 AS ended_after_s,
           coalesce(json_array_length(sm.decisions), 0) AS decisions,
           coalesce(json_array_length(sm.action_items), 0) AS action_items,
           md5(concat_ws('|', 'v{METRICS_VERSION}', scope.board_id, scope.created_at,
                         scope.ended_at, segs.n, segs.h, streams.st, labels.lb, sm.kind,
                         sm.revision, sm.stored_at)) AS fingerprint,
           a.input_fingerprint AS previous
    FROM scope
    LEFT JOIN segs ON segs.meeting_id = scope.id
    LEFT JOIN streams ON streams.meeting_id = scope.id
    LEFT JOIN labels ON labels.meeting_id = scope.id
    LEFT JOIN meeting_summaries sm ON sm.meeting_id = scope.id
    LEFT JOIN analytics_meetings a ON a.meeting_id = scope.id"""


# Who said a segment: its room voice, else its participant, else its stream.
SPEAKER_KEY = "coalesce(s.speaker_id, s.participant_id, s.stream_id)"

# Stream time on the meeting clock: offset = first_joined_at - created_at, never negative
# (as the gateway's transcript does).
SEGMENTS_SQL = f"""
    SELECT s.meeting_id, {SPEAKER_KEY} AS participant,
           s.start + greatest(coalesce(extract(epoch FROM ms.first_joined_at - m.created_at),
                                       0), 0)::float8 AS start_m,
           s."end" + greatest(coalesce(extract(epoch FROM ms.first_joined_at - m.created_at),
                                       0), 0)::float8 AS end_m,
           s.text
    FROM transcript_segments s
    JOIN meetings m ON m.id = s.meeting_id
    LEFT JOIN meeting_streams ms ON ms.stream_id = s.stream_id"""

# Everyone present: each stream that joined and each speaker with a segment. A room voice
# is nobody's account: its name is the label a member gave it, else the transcriber's
# "Room n". A room microphone's stream is present as its voices only: its laptop's
# participant is most likely one of them, and a silent extra speaker would skew the shares.
ATTENDEES_SQL = f"""
    SELECT meeting_id, participant, max(speaker) AS speaker, max(user_id) AS user_id
    FROM (
        SELECT s.meeting_id, {SPEAKER_KEY} AS participant,
               CASE WHEN s.speaker_id IS NULL THEN coalesce(u.display_name, s.speaker)
                    ELSE coalesce(l.label, s.speaker) END AS speaker,
               CASE WHEN s.speaker_id IS NULL THEN u.id END AS user_id
        FROM transcript_segments s
        LEFT JOIN users u ON u.id = s.participant_id
        LEFT JOIN speaker_labels l ON l.meeting_id = s.meeting_id AND l.stream_id = s.speaker_id
        UNION ALL
        SELECT ms.meeting_id, coalesce(ms.participant_id, ms.stream_id),
               coalesce(u.display_name, ms.participant_name), u.id
        FROM meeting_streams ms LEFT JOIN users u ON u.id = ms.participant_id
        WHERE NOT EXISTS (
            SELECT 1 FROM transcript_segments r
            WHERE r.meeting_id = ms.meeting_id AND r.stream_id = ms.stream_id
              AND r.speaker_id IS NOT NULL)
    ) present
    GROUP BY meeting_id, participant"""


def plan(
    spark: Any, settings: Settings, since: datetime | None, board: str | None, force: bool
) -> list[PlannedMeeting]:
    """The meetings in scope, each marked changed when its figures must be recomputed."""
    rows = read_query(spark, settings, plan_sql(since, board)).collect()
    return [
        PlannedMeeting(
            meeting_id=r.meeting_id,
            board_id=r.board_id,
            started_at=r.started_at,
            duration_s=float(r.ended_after_s),
            decisions=int(r.decisions),
            action_items=int(r.action_items),
            fingerprint=r.fingerprint,
            changed=force or r.previous != r.fingerprint,
        )
        for r in rows
    ]


def read_segments(spark: Any, settings: Settings, meeting_ids: list[str]) -> Any:
    """The meetings' segments on the meeting clock, with words and a question flag (no text)."""
    from pyspark.sql import functions as fn

    raw = read_by_meeting(spark, settings, SEGMENTS_SQL, meeting_ids, column="meeting_id")
    text = fn.trim(fn.col("text"))
    return raw.select(
        "meeting_id",
        "participant",
        "start_m",
        "end_m",
        fn.when(text == "", fn.lit(0)).otherwise(fn.size(fn.split(text, r"\s+"))).alias("words"),
        text.rlike(QUESTION_PATTERN).alias("question"),
    )


def compute(
    spark: Any, settings: Settings, planned: list[PlannedMeeting], segments: Any
) -> dict[str, MeetingFigures]:
    """Figures of the planned meetings (segments: `read_segments` of the same meetings)."""
    from pyspark.sql import functions as fn

    ids = [p.meeting_id for p in planned]
    attendees = read_by_meeting(spark, settings, ATTENDEES_SQL, ids, column="meeting_id")
    meetings = spark.createDataFrame(
        [(p.meeting_id, p.duration_s, p.decisions, p.action_items) for p in planned],
        "meeting_id string, duration_s double, decisions int, action_items int",
    )
    grouped_segments = segments.groupBy("meeting_id").agg(
        fn.collect_list(fn.struct("participant", "start_m", "end_m", "words", "question")).alias(
            "segments"
        )
    )
    grouped_attendees = attendees.groupBy("meeting_id").agg(
        fn.collect_list(fn.struct("participant", "speaker", "user_id")).alias("attendees")
    )
    joined = meetings.join(grouped_segments, "meeting_id", "left").join(
        grouped_attendees, "meeting_id", "left"
    )
    return dict(joined.rdd.map(figures_of).collect())
