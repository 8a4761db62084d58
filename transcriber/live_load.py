"""Whether live transcribers want the CPU back: their load reports, for the batch lane.

Every live transcriber publishes a `TranscriberLoad` report each second on
`transcriber.load` (docs/overload.md). `LiveLoad` is the pure core (reports in, busy or
not out); `LoadWatcher` is its shell, a consumer of the reports in a thread of the batch
transcriber's process, in a group of its own so that each process sees every report.
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
class LiveLoad:
    """Whether live transcribers want the CPU back: the latest report of each (pure)."""

    ttl_s: float
    _reports: dict[str, tuple[float, TranscriberLoad]] = field(default_factory=dict)

    def observe(self, report: TranscriberLoad, now: float) -> None:
        """A report arrived at `now` (monotonic seconds)."""
        self._reports[report.instance] = (now, report)

    def busy(self, now: float) -> bool:
        """Whether a fresh report says its transcriber is not at the normal level; a
        transcriber silent for `ttl_s` (stopped, or died) holds nothing back."""
        for instance, (arrived, _report) in list(self._reports.items()):
            if now - arrived > self.ttl_s:
                del self._reports[instance]
        return any(r.level != "normal" or r.over_capacity for _, r in self._reports.values())


class LoadWatcher:
    """Reads every live transcriber's load report into a `LiveLoad` (a thread of its own)."""

    def __init__(self, settings: Settings) -> None:
        self.live = LiveLoad(settings.transcriber.overload.report_ttl_s)
        self._lock = threading.Lock()
        # A group of this process's own from the newest report on: each process needs all.
        overrides: dict[str, Any] = {"auto.offset.reset": "latest", "enable.auto.commit": False}
        self.loop = ConsumerLoop(
            settings.kafka,
            f"{settings.transcriber_batch.group_id}-load-{uuid.uuid4().hex[:12]}",
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

    def busy(self) -> bool:
        with self._lock:
            return self.live.busy(time.monotonic())

    def _run(self) -> None:
        # Should the loop fail, the thread ends (its error logged) and with no fresh report
        # the batch lane runs at full (niced) speed.
        self.loop.run(install_signal_handlers=False)

    def _handle(self, event: Event, _context: MessageContext) -> None:
        if isinstance(event, TranscriberLoad):
            with self._lock:
                self.live.observe(event, time.monotonic())
