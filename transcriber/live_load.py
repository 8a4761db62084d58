"""Whether live transcribers want the CPU back: their load reports, for the batch lane.

Every live transcriber publishes a `TranscriberLoad` report each second on
`transcriber.load` (docs/overload.md). `LiveLoad` is the pure core (reports in, busy or
not out); `LoadWatcher` is its shell, the shared `LoadReportWatcher` in a thread of the
batch transcriber's process, in a group of its own so that each process sees every report.
"""

from __future__ import annotations

from vori.kafka.load_reports import LoadReports, LoadReportWatcher
from vori.settings import Settings


class LiveLoad(LoadReports):
    """Whether live transcribers want the CPU back: the latest report of each (pure)."""

    def busy(self, now: float) -> bool:
        """Whether a fresh report says its transcriber is not at the normal level; a
        transcriber silent for `ttl_s` (stopped, or died) holds nothing back."""
        return any(r.level != "normal" or r.over_capacity for r in self.fresh(now))


class LoadWatcher(LoadReportWatcher[LiveLoad]):
    """Reads every live transcriber's load report into a `LiveLoad` (a thread of its own).

    Should its loop fail, no report is fresh and the batch lane runs at full (niced)
    speed."""

    def __init__(self, settings: Settings) -> None:
        ttl_s = settings.transcriber.overload.report_ttl_s
        prefix = f"{settings.transcriber_batch.group_id}-load"
        super().__init__(settings.kafka, prefix, LiveLoad(ttl_s))

    def busy(self) -> bool:
        return self.read(LiveLoad.busy)
