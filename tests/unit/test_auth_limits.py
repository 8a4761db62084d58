"""The attempt limiter and the hashing slots, without a server."""

from __future__ import annotations

import threading

import pytest

from gateway.auth_limits import (
    AttemptLimiter,
    HashingBusyError,
    PasswordWork,
    SlidingWindow,
    client_key,
)


def test_sliding_window_allows_the_limit_then_says_how_long_to_wait() -> None:
    window = SlidingWindow(limit=3, window_s=60)
    for t in (0.0, 10.0, 20.0):
        assert window.wait_s("a", t) == 0.0
        window.record("a", t)
    assert window.wait_s("a", 30.0) == pytest.approx(30.0)
    assert window.wait_s("b", 30.0) == 0.0
    assert window.wait_s("a", 60.0) == 0.0  # the first attempt has left the window


def test_sliding_window_forgets_the_least_recent_key_beyond_its_bound() -> None:
    window = SlidingWindow(limit=1, window_s=60, max_keys=2)
    for key in ("a", "b", "c"):
        window.record(key, 0.0)
    assert window.wait_s("a", 1.0) == 0.0
    assert window.wait_s("c", 1.0) > 0


def test_a_refused_attempt_is_not_counted_and_names_its_reason() -> None:
    limiter = AttemptLimiter(per_address=3, per_account=2, window_s=60)
    assert limiter.attempt("10.0.0.1", "ana@example.com", 0.0) is None
    assert limiter.attempt("10.0.0.2", "ANA@example.com ", 1.0) is None
    refused = limiter.attempt("10.0.0.3", "ana@example.com", 2.0)
    assert refused is not None
    assert refused.reason == "too many sign-in attempts for this account; try again in 58 s"
    assert refused.retry_after_s == 58
    assert limiter.attempt("10.0.0.1", "bo@example.com", 3.0) is None
    assert limiter.attempt("10.0.0.1", "cy@example.com", 4.0) is None
    by_address = limiter.attempt("10.0.0.1", "dee@example.com", 5.0)
    assert by_address is not None
    assert by_address.reason.startswith("too many sign-in attempts from this address")
    assert limiter.attempt("10.0.0.3", "dee@example.com", 5.0) is None  # 10.0.0.3 was not counted


def test_ipv6_clients_are_counted_by_their_64_network() -> None:
    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:10.0.0.1") == "10.0.0.1"
    assert client_key("unknown") == "unknown"


def test_hashing_waits_for_a_free_slot_then_gives_up() -> None:
    work = PasswordWork(slots=1, wait_s=0.05)
    hashed = work.hash("correct horse battery")
    assert work.verify(hashed, "correct horse battery")
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with work._slot():
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    try:
        with pytest.raises(HashingBusyError):
            work.verify(hashed, "correct horse battery")
    finally:
        release.set()
        holder.join(5)
    assert work.verify(hashed, "wrong") is False
