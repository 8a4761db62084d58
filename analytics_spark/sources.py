"""Reading vori's PostgreSQL through Spark's JDBC source.

Queries run inside PostgreSQL (`query` / a derived table) so that joins with small tables
and filters happen next to the data; the large reads (segments, meeting texts) are split
into one JDBC partition per chunk of meeting ids (`predicates`), so they run in parallel
and read only the meetings a run needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from analytics_spark.session import jdbc_options
from vori.settings import Settings

# Ids per JDBC partition at most: keeps each partition's SQL text small (~100 kB).
MAX_IDS_PER_PARTITION = 2500
FETCH_SIZE = "10000"


def literal(value: str | datetime | None) -> str:
    """A SQL literal for a value the job itself puts in a query (ids, dates)."""
    if value is None:
        return "NULL"
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'::timestamptz"
    return "'" + value.replace("'", "''") + "'"


def read_query(spark: Any, settings: Settings, sql: str) -> Any:
    """One query's result as a DataFrame (one JDBC partition: for small results)."""
    return (
        spark.read.format("jdbc")
        .options(**jdbc_options(settings))
        .option("query", sql)
        .option("fetchsize", FETCH_SIZE)
        .load()
    )


def chunks(ids: Sequence[str], partitions: int) -> list[list[str]]:
    """Ids dealt round-robin into at least `partitions` chunks of bounded size."""
    wanted = max(partitions, -(-len(ids) // MAX_IDS_PER_PARTITION))
    count = max(1, min(wanted, len(ids)))
    ordered = sorted(ids)
    return [ordered[i::count] for i in range(count)]


def read_by_meeting(
    spark: Any, settings: Settings, sql: str, meeting_ids: Sequence[str], *, column: str
) -> Any:
    """`sql` read in parallel, one JDBC partition per chunk of `meeting_ids` (`column IN`)."""
    options = jdbc_options(settings)
    url = options.pop("url")
    options["fetchsize"] = FETCH_SIZE
    predicates = [
        f"{column} IN ({', '.join(literal(i) for i in chunk)})"
        for chunk in chunks(meeting_ids, settings.analytics.jdbc_partitions)
    ]
    return spark.read.jdbc(url, f"({sql}) AS q", predicates=predicates, properties=options)
