"""The one way an analytics job gets its SparkSession, on `local[*]` or any cluster.

Nothing here names a local path: the jars Spark needs (the PostgreSQL JDBC driver, and
the Kafka source for the live job) are Maven coordinates that Spark resolves itself
(`spark.jars.packages`, the same as `spark-submit --packages` on a cluster), cached in
an ivy folder that is a setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from vori.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


# Jars Spark's own distribution ships: left out of what `spark.jars.packages` resolves (the
# Kafka source depends on them), so nothing is downloaded twice or put on the classpath twice.
SHIPPED_WITH_SPARK = (
    "at.yawk.lz4:lz4-java",
    "org.xerial.snappy:snappy-java",
    "org.slf4j:slf4j-api",
    "org.apache.hadoop:hadoop-client-api",
    "org.apache.hadoop:hadoop-client-runtime",
)


def kafka_source_package(settings: Settings) -> str:
    """The Kafka source's Maven coordinates: the setting, or the installed Spark's version."""
    if settings.analytics.kafka_source:
        return settings.analytics.kafka_source
    import pyspark

    return f"org.apache.spark:spark-sql-kafka-0-10_2.13:{pyspark.__version__}"


def spark_session(
    settings: Settings,
    app_name: str,
    *,
    packages: Sequence[str] = (),
    excludes: Sequence[str] = (),
) -> SparkSession:
    """A session for one job; on a local master the driver binds to loopback only."""
    from pyspark.sql import SparkSession

    analytics = settings.analytics
    ivy = analytics.ivy_dir or settings.data_dir / "ivy"
    builder = (
        SparkSession.builder.appName(app_name)
        .master(analytics.spark_master)
        .config("spark.jars.packages", ",".join([analytics.postgres_driver, *packages]))
        .config("spark.jars.ivy", str(ivy.resolve()))
        .config("spark.driver.memory", analytics.driver_memory)
        .config("spark.sql.shuffle.partitions", str(analytics.shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if excludes:
        builder = builder.config("spark.jars.excludes", ",".join(excludes))
    if analytics.spark_master.startswith("local"):
        builder = builder.config("spark.driver.host", "127.0.0.1").config(
            "spark.driver.bindAddress", "127.0.0.1"
        )
    return builder.getOrCreate()


def jdbc_options(settings: Settings) -> dict[str, str]:
    """Spark JDBC options for vori's PostgreSQL (the URL the services use, in JDBC form)."""
    url = make_url(settings.sqlalchemy_url)
    options = {
        "url": f"jdbc:postgresql://{url.host}:{url.port or 5432}/{url.database}",
        "user": url.username or "",
        "driver": "org.postgresql.Driver",
    }
    if url.password:
        options["password"] = str(url.password)
    return options
