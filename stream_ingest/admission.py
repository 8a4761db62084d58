"""Admission control: new streams wait while the transcribers say they are over capacity.

Every transcriber publishes a load report on `transcriber.load` each second
(docs/overload.md). `Admission` is the pure core: reports in, a refusal reason out;
`LoadWatcher` is its shell, a consumer of the reports in a thread of the ingest process.
A report counts for `report_ttl_s` after it arrived, so a transcriber that died while
over capacity does not keep the door shut. Streams that resume (their `start` names
their `stream_id`) are always admitted: refusing them would cut a meeting in half.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from vori.events import TRANSCRIBER_LOAD, Event, TranscriberLoad
from vori.kafka import ConsumerLoop, MessageContext
from vori.settings import Settings


@dataclass
class Admission:
    """Whether a new stream may start, from the latest report of each transcriber."""

    ttl_s: float
    _reports: dict[str, tuple[float, TranscriberLoad]] = field(default_factory=dict)

    def observe(self, report: TranscriberLoad, now: float) -> None:
        """A report arrived at `now` (monotonic seconds)."""
        self._reports[report.instance] = (now, report)

    def refusal(self, now: float) -> str | None:
        """Why a new stream must wait, or None to admit it."""
        for instance, (arrived, _report) in list(self._reports.items()):
            if now - arrived > self.ttl_s:
                del self._reports[instance]
        over = [r for _, r in self._reports.values() if r.over_capacity]
        if not over:
            return None
        worst = max(over, key=lambda r: r.lag_s)
        why = next((r.reason for r in over if r.reason), None) or f"{worst.lag_s:.0f} s behind"
        return f"transcription is over capacity ({why}); new streams wait, try again later"


class LoadWatcher:
    """Reads every transcriber's load report into an `Admission` (a thread of its own)."""

    def __init__(self, settings: Settings) -> None:
        self.admission = Admission(settings.transcriber.overload.report_ttl_s)
        self._lock = threading.Lock()
        # A group of this process's own from the newest report on: each process needs all.
        overrides: dict[str, Any] = {"auto.offset.reset": "latest", "enable.auto.commit": False}
        self.loop = ConsumerLoop(
            settings.kafka,
            f"vori-ingest-load-{uuid.uuid4().hex[:12]}",
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

    def refusal(self) -> str | None:
        with self._lock:
            return self.admission.refusal(time.monotonic())

    def _run(self) -> None:
        # Should the loop fail, the thread ends (its error logged) and with no fresh
        # report every stream is admitted: admission control fails open.
        self.loop.run(install_signal_handlers=False)

    def _handle(self, event: Event, _context: MessageContext) -> None:
        if isinstance(event, TranscriberLoad):
            with self._lock:
                self.admission.observe(event, time.monotonic())
