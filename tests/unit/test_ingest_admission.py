"""Admission control of new streams from the transcribers' load reports."""

from __future__ import annotations

from stream_ingest.admission import Admission
from vori.events import TranscriberLoad


def _report(instance: str, *, over: bool, lag: float = 0.0) -> TranscriberLoad:
    return TranscriberLoad(
        instance=instance,
        level="over_capacity" if over else "normal",
        lag_s=lag,
        over_capacity=over,
    )


def test_no_report_admits() -> None:
    assert Admission(ttl_s=10).refusal(now=0.0) is None


def test_any_transcriber_over_capacity_refuses_with_how_far_behind() -> None:
    admission = Admission(ttl_s=10)
    admission.observe(_report("a", over=False), now=0.0)
    admission.observe(_report("b", over=True, lag=4.4), now=0.5)
    reason = admission.refusal(now=1.0)
    assert reason is not None
    assert "over capacity (4 s behind)" in reason
    assert len(reason.encode()) <= 123  # fits a WebSocket close frame


def test_a_newer_report_of_the_same_transcriber_reopens() -> None:
    admission = Admission(ttl_s=10)
    admission.observe(_report("a", over=True, lag=5.0), now=0.0)
    admission.observe(_report("a", over=False, lag=1.0), now=1.0)
    assert admission.refusal(now=1.5) is None


def test_a_stale_report_no_longer_refuses() -> None:
    admission = Admission(ttl_s=10)
    admission.observe(_report("a", over=True, lag=5.0), now=0.0)
    assert admission.refusal(now=9.0) is not None
    assert admission.refusal(now=10.5) is None
