"""The live analytics job's pure parts: totals, rows, the segment fields it reads, where its
checkpoint goes, which Kafka source it asks Maven for, and when `vori up` starts it."""

from __future__ import annotations

import types
import typing
from datetime import UTC, datetime
from pathlib import Path

import pyspark
import pytest
from sqlalchemy.dialects import postgresql

from analytics_spark.live import SEGMENT_FIELDS, checkpoint_location, segment_schema
from analytics_spark.live_totals import SpeakerTotals, upsert_totals, words_per_minute
from analytics_spark.session import kafka_source_package
from vori.cli.up import _select
from vori.events import TranscriptSegment
from vori.settings import Settings, load_settings

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SPARK_TYPES = {str: "string", bool: "boolean", float: "double"}


def _settings(tmp_path: Path, **analytics: object) -> Settings:
    return load_settings(data_dir=tmp_path / "data", analytics=analytics)


def test_words_per_minute_is_words_over_talk_time_and_zero_before_any_talk() -> None:
    assert words_per_minute(19, 13.0) == pytest.approx(87.6923, abs=1e-4)
    assert words_per_minute(30, 30.0) == 60.0
    assert words_per_minute(0, 0.0) == 0.0
    assert words_per_minute(5, 0.0) == 0.0


def test_a_speakers_row_has_absolute_totals_and_rate_rounded() -> None:
    totals = SpeakerTotals("m1", "p1", "Ana", 3, 13.00004, 19, 26.0)
    assert totals.row(AT) == {
        "meeting_id": "m1",
        "participant_id": "p1",
        "speaker": "Ana",
        "segments": 3,
        "talk_s": 13.0,
        "words": 19,
        "wpm": 87.69,
        "last_end_s": 26.0,
        "updated_at": AT,
    }


def test_the_upsert_overwrites_by_speaker_and_never_goes_back_to_fewer_segments() -> None:
    statement = upsert_totals(
        [
            SpeakerTotals("m1", "p1", None, 1, 2.0, 4, 2.0),
            SpeakerTotals("m1", "p2", "B", 2, 3, 5, 9),
        ],
        AT,
    )
    sql = str(statement.compile(dialect=postgresql.dialect()))
    assert "ON CONFLICT (meeting_id, participant_id) DO UPDATE" in sql
    assert "WHERE excluded.segments >= analytics_live_speakers.segments" in sql
    assert sql.count("%(segments_m") == 2, "both speakers in one statement"


def test_every_field_the_job_reads_is_a_field_of_the_segment_event_with_that_type() -> None:
    hints = typing.get_type_hints(TranscriptSegment)
    for name, spark_type in SEGMENT_FIELDS.items():
        assert name in TranscriptSegment.model_fields, name
        hint = hints[name]
        kinds = [k for k in typing.get_args(hint) if k is not type(None)] or [hint]
        if isinstance(hint, types.UnionType):
            assert type(None) in typing.get_args(hint), f"{name} is nullable in the job"
        assert SPARK_TYPES[kinds[0]] == spark_type, name


def test_the_checkpoint_is_under_the_data_dir_unless_set_and_a_hadoop_uri_stays_one(
    tmp_path: Path,
) -> None:
    default = checkpoint_location(_settings(tmp_path))
    assert default == str(tmp_path / "data" / "analytics-checkpoints" / "analytics-live")
    local = checkpoint_location(_settings(tmp_path, checkpoint_dir="ck"))
    assert Path(local).is_absolute()
    assert local.endswith("/ck/analytics-live")
    remote = checkpoint_location(_settings(tmp_path, checkpoint_dir="s3a://bucket/vori/"))
    assert remote == "s3a://bucket/vori/analytics-live"


def test_the_kafka_source_is_the_one_maven_serves_unless_emptied(tmp_path: Path) -> None:
    assert kafka_source_package(_settings(tmp_path)) == (
        "org.apache.spark:spark-sql-kafka-0-10_2.13:4.2.0"
    )
    own = kafka_source_package(_settings(tmp_path, kafka_source=""))
    assert own == f"org.apache.spark:spark-sql-kafka-0-10_2.13:{pyspark.__version__}"


def test_vori_up_starts_the_live_job_unless_switched_off(tmp_path: Path) -> None:
    assert "analytics-live" in [s.name for s in _select(None, _settings(tmp_path))]
    off = _settings(tmp_path, live=False)
    names = [s.name for s in _select(None, off)]
    assert "analytics-live" not in names
    assert "gateway" in names
    assert [s.name for s in _select(["analytics-live"], off)] == ["analytics-live"]


def test_the_spark_schema_names_the_fields_the_job_reads() -> None:
    schema = segment_schema()
    assert schema.fieldNames() == list(SEGMENT_FIELDS)
    assert {f.name: f.dataType.simpleString() for f in schema.fields} == SEGMENT_FIELDS
