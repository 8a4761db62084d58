"""Flow control and the overload level of the live transcriber (docs/overload.md).

Owns two decisions taken on every tick of the consumer loop: whether reading pauses
(while more audio waits for finals than `max_backlog_s`, until half of it is left) and
the overload level the pure `OverloadPolicy` (transcriber/overload.py) picks from the
streams' lag, the lanes' expected final wait and utilisation and the fullest commit
metadata. The level is applied to the model lanes (shed partials, cheaper finals) and
published as the `transcriber.load` report that ingest's admission reads.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping

from transcriber.lane import ModelLane
from transcriber.metrics import TranscriberMetrics
from transcriber.overload import LoadDecision, OverloadPolicy
from transcriber.partitions import Partitions
from vori.events import AUDIO_FRAMES, MeetingLag, TranscriberLoad
from vori.kafka import ConsumerLoop, EventProducer
from vori.settings import TranscriberSettings

log = logging.getLogger(__name__)


class LoadControl:
    """Pauses reading behind a backlog of finals and applies and reports the overload level."""

    def __init__(
        self,
        settings: TranscriberSettings,
        metrics: TranscriberMetrics,
        loop: ConsumerLoop,
        lanes: Mapping[str, ModelLane],
        partitions: Partitions,
        producer: EventProducer,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.loop = loop
        self.lanes = lanes
        self.partitions = partitions
        self.producer = producer
        self.policy = OverloadPolicy(settings.overload)
        self.instance = uuid.uuid4().hex[:12]
        self.paused = False
        self.decision: LoadDecision | None = None
        self._report_due = 0.0
        self._dropped_reported = 0
        self._shed_reported = 0

    @property
    def shed_partials(self) -> bool:
        """Behind live audio: finals only."""
        return self.decision is not None and self.decision.shed_partials

    def flow_control(self) -> None:
        backlog = sum(lane.pending_final_seconds() for lane in self.lanes.values())
        limit = self.settings.max_backlog_s
        if not self.paused and backlog > limit:
            self.loop.pause(self.loop.assignment())
            self.paused = True
            log.info("paused reading: %.1f s of audio waiting for finals", backlog)
        elif self.paused and backlog < limit / 2:
            self.loop.resume(self.loop.assignment())
            self.paused = False
        self.metrics.partitions_paused.set(int(self.paused))
        self.metrics.backlog_seconds.set(backlog)
        for lane in self.lanes.values():
            self.metrics.queue_depth.labels(lane.name).set(lane.depth())
        dropped = sum(lane.dropped_partials() for lane in self.lanes.values())
        if dropped > self._dropped_reported:
            self.metrics.partials_dropped.inc(dropped - self._dropped_reported)
            self._dropped_reported = dropped

    def overload(self, high_watermark: Callable[[int], int]) -> None:
        """Decide the overload level, apply it, and publish the load report when due."""
        now = time.time()
        if self.decision is not None and now < self._report_due:
            return
        wait = max((lane.expected_final_wait() for lane in self.lanes.values()), default=0.0)
        busy = max((lane.final_utilisation() for lane in self.lanes.values()), default=0.0)
        fullest = self.partitions.fullest()
        fill = fullest[1].fill if fullest is not None else 0.0
        decision = self.policy.update(self.partitions.lags(now, high_watermark), wait, busy, fill)
        self.decision = decision
        reason = None
        if decision.metadata_full and fullest is not None:
            partition, plan = fullest
            reason = (
                f"the commit metadata of {AUDIO_FRAMES} partition {partition} is "
                f"{plan.fill:.0%} full with {plan.streams} streams"
            )
        for lane in self.lanes.values():
            lane.overload(shed_partials=decision.shed_partials, degraded=decision.degraded)
        if decision.changed:
            log.warning(
                "transcript %.1f s behind (%.1f s queued): overload level %s (partials %s, "
                "finals %s, %s)%s",
                decision.lag_s,
                decision.queued_s,
                decision.reported.label,
                "shed" if decision.shed_partials else "decoded",
                "cheaper" if decision.degraded else "full",
                "new streams refused" if decision.over_capacity else "admitting",
                f": {reason}" if reason else "",
            )
        self.metrics.lag_seconds.set(decision.lag_s)
        self.metrics.overload_level.set(int(decision.reported))
        self.metrics.meetings_lagging.set(self.policy.lagging_meetings)
        shed = sum(lane.shed_partials() for lane in self.lanes.values())
        if shed > self._shed_reported:
            self.metrics.partials_shed.inc(shed - self._shed_reported)
            self._shed_reported = shed
        self.producer.publish(
            TranscriberLoad(
                instance=self.instance,
                level=decision.reported.label,
                lag_s=round(decision.lag_s, 2),
                over_capacity=decision.over_capacity,
                reason=reason,
                streams=self.partitions.open_streams(),
                meetings=[
                    MeetingLag(
                        meeting_id=m.meeting_id, lag_s=m.lag_s, streams_behind=m.streams_behind
                    )
                    for m in decision.meetings
                ],
            )
        )
        self._report_due = now + self.settings.overload.report_interval_s
