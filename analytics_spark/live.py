"""The live job: per-speaker talk time and words per minute of running meetings.

A Spark Structured Streaming query over `transcript.segments` (Spark's Kafka source,
resolved from Maven like the JDBC driver) that keeps, per meeting and speaker, the
final segments, seconds talked, words, and the end of the last segment, and writes the
changed speakers' totals to `analytics_live_speakers` after every micro-batch.

Exactly once, by construction:

- **Offsets and state in the checkpoint.** Spark logs each micro-batch's offset range
  before running it and the batch id after the sink returns; the de-duplication and
  aggregation state (RocksDB, changelog checkpointing) is versioned per batch beside it.
  A process killed anywhere restarts from the checkpoint and re-runs the unfinished
  batch over the same offsets and the same state, so it computes the same totals.
- **Absolute totals, upserted.** The query runs in update mode: each batch emits the
  full totals of the speakers it changed, never increments, and `upsert_totals` writes
  them in one transaction. Running a batch twice writes the same rows twice, and a row
  never goes back to fewer segments (a stale writer cannot undo newer totals).
- **Replayed segments counted once.** Segment ids are deterministic (a transcriber that
  restarts re-publishes the same ids), so the query drops a final segment whose id it
  has already counted within `live_dedupe_window_s` of the first copy's arrival (state
  older than that is evicted by the watermark on the Kafka timestamp).

Deleting a meeting: the totals go with the meeting row, by the foreign key (ON DELETE
CASCADE) that ties `analytics_live_speakers` to `meetings`, like the batch jobs' tables.
The job stays their one writer and accepts the cascade because its figures describe a
meeting and mean nothing without it, and because it writes only totals of meetings that
exist (`present_meetings`, locked for the transaction): a segment arriving after the
deletion cannot bring the row back. It has no event to consume and no clean-up to miss,
so it cannot fall behind a deletion. (The query's state keeps the deleted meeting's
totals; they are never written again.)

Only final segments with text count; partials are revisions of what a final repeats, and
an empty final is an utterance withdrawn as non-speech (the gateway keeps neither).
Words are whitespace-separated tokens of the text (Korean: eojeol).
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from sqlalchemy import Engine, String

from analytics_spark.live_totals import SpeakerTotals, present_meetings, upsert_totals
from analytics_spark.session import SHIPPED_WITH_SPARK, kafka_source_package, spark_session
from vori.db.engine import create_db_engine
from vori.db.tables import AnalyticsLiveSpeaker
from vori.events import TRANSCRIPT_SEGMENTS
from vori.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming.query import StreamingQuery
    from pyspark.sql.types import StructType

log = logging.getLogger("analytics_spark.live")

QUERY_NAME = "analytics-live"
ROCKSDB_STATE_STORE = "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider"
# The fields of vori.events.TranscriptSegment the job reads (tests check they exist there).
SEGMENT_FIELDS: dict[str, str] = {
    "id": "string",
    "meeting_id": "string",
    "stream_id": "string",
    "participant_id": "string",
    "speaker": "string",
    "speaker_id": "string",
    "final": "boolean",
    "start": "double",
    "end": "double",
    "text": "string",
}


def segment_schema() -> StructType:
    """The Spark schema of the JSON segments, limited to the fields the job reads."""
    from pyspark.sql.types import BooleanType, DataType, DoubleType, StringType, StructType

    types: dict[str, DataType] = {
        "string": StringType(),
        "boolean": BooleanType(),
        "double": DoubleType(),
    }
    schema = StructType()
    for name, kind in SEGMENT_FIELDS.items():
        schema = schema.add(name, types[kind])
    return schema


def checkpoint_location(settings: Settings) -> str:
    """Where the query's checkpoint lives: a Hadoop URI as given, a local path made absolute."""
    configured = settings.analytics.checkpoint_dir
    if configured and "://" in configured:
        return f"{configured.rstrip('/')}/{QUERY_NAME}"
    base = Path(configured) if configured else settings.data_dir / "analytics-checkpoints"
    return str((base / QUERY_NAME).resolve())


def final_segments(raw: DataFrame, dedupe_window_s: int) -> DataFrame:
    """Kafka records to final segments with text, each id once within the window."""
    from pyspark.sql import functions as fn

    parsed = raw.select(
        fn.from_json(fn.col("value").cast("string"), segment_schema()).alias("s"),
        fn.col("timestamp").alias("arrived_at"),
    )
    segment = fn.col("s")
    text = fn.trim(segment["text"])
    return (
        parsed.where(segment["final"] & (fn.length(text) > 0))
        .select(
            segment["id"].alias("id"),
            segment["meeting_id"].alias("meeting_id"),
            # A room microphone's voices are speakers of their own (speaker_id); any other
            # stream is one microphone: without a participant it still is one speaker.
            fn.coalesce(
                segment["speaker_id"], segment["participant_id"], segment["stream_id"]
            ).alias("participant_id"),
            segment["speaker"].alias("speaker"),
            fn.greatest(segment["end"] - segment["start"], fn.lit(0.0)).alias("talk_s"),
            fn.size(fn.split(text, r"\s+")).alias("words"),
            segment["end"].alias("end"),
            "arrived_at",
        )
        # What the table cannot hold would fail every replay of its batch: left out.
        .where(
            fn.col("id").isNotNull()
            & fn.col("end").isNotNull()
            & fn.col("talk_s").isNotNull()
            & fn.length("meeting_id").between(1, _width("meeting_id"))
            & fn.length("participant_id").between(1, _width("participant_id"))
        )
        .withColumn("speaker", fn.substring("speaker", 1, _width("speaker")))
        .withWatermark("arrived_at", f"{dedupe_window_s} seconds")
        .dropDuplicatesWithinWatermark(["id"])
    )


def _width(column: str) -> int:
    """How many characters a string column of `analytics_live_speakers` holds."""
    kind = AnalyticsLiveSpeaker.__table__.c[column].type
    assert isinstance(kind, String)
    assert kind.length is not None
    return kind.length


def speaker_totals(segments: DataFrame) -> DataFrame:
    """Running totals per meeting and speaker (in update mode: the changed ones)."""
    from pyspark.sql import functions as fn

    return segments.groupBy("meeting_id", "participant_id").agg(
        fn.max("speaker").alias("speaker"),
        fn.count(fn.lit(1)).alias("segments"),
        fn.sum("talk_s").alias("talk_s"),
        fn.sum("words").alias("words"),
        fn.max("end").alias("last_end_s"),
    )


class TotalsWriter:
    """The query's sink: each micro-batch's changed totals of meetings that exist, in one
    upsert, one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        totals = [
            SpeakerTotals(
                meeting_id=row["meeting_id"],
                participant_id=row["participant_id"],
                speaker=row["speaker"],
                segments=int(row["segments"]),
                talk_s=float(row["talk_s"]),
                words=int(row["words"]),
                last_end_s=float(row["last_end_s"]),
            )
            for row in batch.collect()  # one row per speaker who spoke in this batch
        ]
        written = self.write(totals)
        log.debug("batch %d: totals of %d speakers written", batch_id, written)

    def write(self, totals: list[SpeakerTotals]) -> int:
        """Upsert the totals of meetings that exist; how many were written."""
        if not totals:
            return 0
        with self.engine.begin() as connection:
            present = set(connection.scalars(present_meetings({t.meeting_id for t in totals})))
            kept = [t for t in totals if t.meeting_id in present]
            if kept:
                connection.execute(upsert_totals(kept, datetime.now(UTC)))
        return len(kept)


def start_query(spark: SparkSession, settings: Settings, writer: TotalsWriter) -> StreamingQuery:
    """Start the streaming query: Kafka in, totals out through `writer`, checkpointed."""
    analytics = settings.analytics
    # Few state partitions: a micro-batch runs a task per partition for each of its two
    # stateful steps, and a live meeting's batches are small. (A restarted query keeps
    # the number its checkpoint was started with.)
    spark.conf.set("spark.sql.shuffle.partitions", str(analytics.live_partitions))
    # No extra batches only to move the watermark on: state expires with the next data.
    spark.conf.set("spark.sql.streaming.noDataMicroBatches.enabled", "false")
    # State on local disk in RocksDB, not in the driver's heap: the per-speaker totals of
    # every meeting ever seen stay (a meeting may resume), so they must not cost memory.
    # Changelog checkpointing uploads only the changes of each batch.
    spark.conf.set("spark.sql.streaming.stateStore.providerClass", ROCKSDB_STATE_STORE)
    spark.conf.set("spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled", "true")
    raw = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", settings.kafka.bootstrap_servers)
        .option("kafka.client.id", f"{settings.kafka.client_id}-analytics-live")
        .option("subscribe", TRANSCRIPT_SEGMENTS)
        # First start: everything still in the topic, so meetings under way are complete.
        .option("startingOffsets", "earliest")
        # Segments aged out of retention while the job was down are gone; the batch jobs
        # over PostgreSQL are the record, so the live figures carry on without them.
        .option("failOnDataLoss", "false")
        .load()
    )
    totals = speaker_totals(final_segments(raw, analytics.live_dedupe_window_s))
    return (
        totals.writeStream.queryName(QUERY_NAME)
        .outputMode("update")
        .foreachBatch(writer)
        .option("checkpointLocation", checkpoint_location(settings))
        .trigger(processingTime=f"{analytics.live_trigger_s} seconds")
        .start()
    )


def _while_stopping(stop: list[int], step: str, action: Callable[[], object]) -> None:
    """Run a step of stopping Spark. Once a stop was asked for, an error from Spark or py4j
    only says that Spark is going already (logged at debug); before that it is a fault."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    try:
        action()
    except (Py4JError, PySparkException) as exc:
        if not stop:
            raise
        log.debug("%s: Spark was going already (%s)", step, str(exc).splitlines()[0])


@contextmanager
def _jvm_ignores_sigterm() -> Iterator[None]:
    """The JVM started inside keeps SIGTERM ignored (as pyspark does SIGINT): its shutdown
    hooks would tear Spark down under the query this process is stopping when `vori up`
    signals the group ("RpcEnv already stopped"). A SIGTERM while starting goes unheard."""
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop_between_batches(query: StreamingQuery, wait_s: float = 3.0) -> None:
    """Stop the query, after its running micro-batch if that ends soon (a batch cut short
    is only run again on the next start, but Spark logs the interruption at length)."""
    deadline = time.monotonic() + wait_s
    while query.isActive and query.status["isTriggerActive"] and time.monotonic() < deadline:
        time.sleep(0.05)
    query.stop()


def run(settings: Settings) -> None:
    """Run the live job until SIGTERM or SIGINT (`vori analytics stream`, `vori up`)."""
    stop: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.append(signum)

    # py4j logs every call back into Python (each micro-batch) at INFO.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    engine = create_db_engine(settings, pool_size=1, max_overflow=0)
    try:
        spark = _start_spark(settings, stop)
        if spark is None:
            return
        try:
            _run_query(spark, settings, TotalsWriter(engine), stop)
        finally:
            _while_stopping(stop, "stopping Spark", spark.stop)
    finally:
        engine.dispose()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _start_spark(settings: Settings, stop: list[int]) -> SparkSession | None:
    """Spark with the Kafka source, or None if stopped first. While Spark cannot start (no
    Java, Maven unreachable for the jars) the job waits and tries again rather than exit:
    `vori up` stops the whole stack when a service keeps crashing, and the live figures
    are the part of it that can wait."""
    from pyspark.errors import PySparkRuntimeError

    delay_s = 10.0
    while not stop:
        try:
            with _jvm_ignores_sigterm():
                return spark_session(
                    settings,
                    QUERY_NAME,
                    packages=[kafka_source_package(settings)],
                    excludes=SHIPPED_WITH_SPARK,
                )
        except PySparkRuntimeError as exc:
            log.error("Spark did not start (%s); the live job tries again in %.0f s", exc, delay_s)
            deadline = time.monotonic() + delay_s
            while not stop and time.monotonic() < deadline:
                time.sleep(0.2)
            delay_s = min(delay_s * 2, 300.0)
    return None


def _run_query(
    spark: SparkSession, settings: Settings, writer: TotalsWriter, stop: list[int]
) -> None:
    query = start_query(spark, settings, writer)
    log.info(
        "live analytics: %s -> analytics_live_speakers every %g s (checkpoint %s)",
        TRANSCRIPT_SEGMENTS,
        settings.analytics.live_trigger_s,
        checkpoint_location(settings),
    )
    # Short waits so that a signal is noticed between them; a failed query raises here.
    while not stop and query.isActive:
        _while_stopping(stop, "waiting for the query", lambda: query.awaitTermination(1))
    if stop:
        log.info("%s received: stopping the live job", signal.Signals(stop[0]).name)
        _while_stopping(stop, "stopping the query", lambda: _stop_between_batches(query))


if __name__ == "__main__":  # `spark-submit analytics_spark/live.py` on a cluster
    from vori.logs import configure_logging
    from vori.settings import load_settings

    loaded = load_settings()
    configure_logging(loaded.log_level)
    run(loaded)
