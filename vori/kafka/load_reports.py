"""The transcribers' latest load reports, read from `transcriber.load` in a thread.

Every live transcriber publishes a `TranscriberLoad` report each second
(docs/overload.md). Ingest's admission control and the batch lane both decide from the
latest report of each transcriber: `LoadReports` is that table (pure: reports in, the
fresh ones out), `LoadReportWatcher` its shell, a consumer of the reports in a thread of
the process, in a group of its own so that each process sees every report. A report
counts for `ttl_s` after it arrived, so a transcriber that stopped or died holds
nothing back.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from vori.events import TRANSCRIBER_LOAD, Event, TranscriberLoad
from vori.kafka.consumer import ConsumerLoop, MessageContext
from vori.settings import KafkaSettings


@dataclass
class LoadReports:
    """The latest report of each transcriber instance, while it is fresh (pure)."""

    ttl_s: float
    _reports: dict[str, tuple[float, TranscriberLoad]] = field(default_factory=dict)

    def observe(self, report: TranscriberLoad, now: float) -> None:
        """A report arrived at `now` (monotonic seconds)."""
        self._reports[report.instance] = (now, report)

    def fresh(self, now: float) -> list[TranscriberLoad]:
        """The reports that arrived within `ttl_s` of `now`; older ones are forgotten."""
        for instance, (arrived, _report) in list(self._reports.items()):
            if now - arrived > self.ttl_s:
                del self._reports[instance]
        return [report for _, report in self._reports.values()]


R = TypeVar("R", bound=LoadReports)
T = TypeVar("T")


class LoadReportWatcher(Generic[R]):
    """Reads every transcriber's load report into `reports` (a thread of its own)."""

    def __init__(self, kafka: KafkaSettings, group_prefix: str, reports: R) -> None:
        self.reports = reports
        self._lock = threading.Lock()
        # A group of this process's own from the newest report on: each process needs all.
        overrides: dict[str, Any] = {"auto.offset.reset": "latest", "enable.auto.commit": False}
        self.loop = ConsumerLoop(
            kafka,
            f"{group_prefix}-{uuid.uuid4().hex[:12]}",
            [TRANSCRIBER_LOAD],
            self._handle,
            **overrides,
        )
        self._thread = threading.Thread(target=self._run, name="load-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.loop.stop()
        self._thread.join(10)

    def read(self, decide: Callable[[R, float], T]) -> T:
        """`decide(reports, now)` under the lock the watcher thread writes under."""
        with self._lock:
            return decide(self.reports, time.monotonic())

    def _run(self) -> None:
        # Should the loop fail, the thread ends (its error logged) and, with no fresh
        # report, the reports hold nothing back: both users fail open.
        self.loop.run(install_signal_handlers=False)

    def _handle(self, event: Event, _context: MessageContext) -> None:
        if isinstance(event, TranscriberLoad):
            with self._lock:
                self.reports.observe(event, time.monotonic())
