"""Admission control: new streams wait while the transcribers say they are over capacity.

Every transcriber publishes a load report on `transcriber.load` each second
(docs/overload.md). `Admission` is the pure core: reports in, a refusal reason out;
`LoadWatcher` is its shell, the shared `LoadReportWatcher` in a thread of the ingest
process. A report counts for `report_ttl_s` after it arrived, so a transcriber that died
while over capacity does not keep the door shut. Streams that resume (their `start` names
their `stream_id`) are always admitted: refusing them would cut a meeting in half.
"""

from __future__ import annotations

from vori.kafka.load_reports import LoadReports, LoadReportWatcher
from vori.settings import Settings


class Admission(LoadReports):
    """Whether a new stream may start, from the latest report of each transcriber."""

    def refusal(self, now: float) -> str | None:
        """Why a new stream must wait, or None to admit it."""
        over = [r for r in self.fresh(now) if r.over_capacity]
        if not over:
            return None
        worst = max(over, key=lambda r: r.lag_s)
        why = next((r.reason for r in over if r.reason), None) or f"{worst.lag_s:.0f} s behind"
        return f"transcription is over capacity ({why}); new streams wait, try again later"


class LoadWatcher(LoadReportWatcher[Admission]):
    """Reads every transcriber's load report into an `Admission` (a thread of its own).

    Should its loop fail, no report is fresh and every stream is admitted: admission
    control fails open."""

    def __init__(self, settings: Settings) -> None:
        ttl_s = settings.transcriber.overload.report_ttl_s
        super().__init__(settings.kafka, "vori-ingest-load", Admission(ttl_s))

    def refusal(self) -> str | None:
        return self.read(Admission.refusal)
