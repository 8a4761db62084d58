"""Prometheus view of the connection pools of this process's database engines."""

from __future__ import annotations

import weakref
from collections.abc import Iterable

from prometheus_client import REGISTRY
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool


class PoolCollector(Collector):
    """Reads the pools at scrape time, summed over the engines alive in the process."""

    def __init__(self) -> None:
        self.engines: weakref.WeakSet[Engine] = weakref.WeakSet()

    def watch(self, engine: Engine) -> None:
        self.engines.add(engine)

    def collect(self) -> Iterable[Metric]:
        size = checked_out = overflow = 0
        for engine in list(self.engines):
            pool = engine.pool
            if isinstance(pool, QueuePool):
                size += pool.size()
                checked_out += pool.checkedout()
                # Negative while fewer than pool_size connections were ever opened.
                overflow += max(0, pool.overflow())
        yield GaugeMetricFamily(
            "vori_db_pool_size", "Connections the database pools keep open (pool_size).", size
        )
        yield GaugeMetricFamily(
            "vori_db_pool_checked_out", "Database connections in use now.", checked_out
        )
        yield GaugeMetricFamily(
            "vori_db_pool_overflow",
            "Database connections open beyond pool_size now (at most max_overflow).",
            overflow,
        )


POOLS = PoolCollector()
REGISTRY.register(POOLS)
