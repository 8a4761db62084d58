"""Throttling of log-in and register: attempts per client address and per account, and a
cap on concurrent password hashing.

One argon2 hash or check takes 64 MiB and tens of milliseconds of CPU, so unthrottled
log-ins are a memory and CPU exhaustion path: attempts over a limit are refused before
any hashing, and at most a few hashes run at once whatever the burst.

The counters live in this process's memory: several gateway processes each keep their
own, so behind a balancer over N processes a client gets up to N times the limit. A
shared store (Redis) would be one more service to run for limits this coarse.
"""

from __future__ import annotations

import ipaddress
import math
import threading
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from vori.auth import hash_password, verify_password

# Keys remembered per window; the least recently seen is forgotten beyond this (a key
# holds at most `limit` timestamps, so this bounds the memory of the counters).
MAX_KEYS = 10_000


class SlidingWindow:
    """At most `limit` attempts per key within any `window_s` seconds (a sliding log).

    Pure: the caller passes the time, and locks around it when threads share it.
    """

    def __init__(self, limit: int, window_s: float, max_keys: int = MAX_KEYS) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_keys = max_keys
        self._attempts: OrderedDict[str, deque[float]] = OrderedDict()

    def wait_s(self, key: str, now: float) -> float:
        """Seconds until `key` may make another attempt; 0.0 if it may now."""
        attempts = self._attempts.get(key)
        if attempts is None:
            return 0.0
        while attempts and attempts[0] <= now - self.window_s:
            attempts.popleft()
        if len(attempts) < self.limit:
            return 0.0
        return attempts[0] + self.window_s - now

    def record(self, key: str, now: float) -> None:
        """Count one attempt of `key` at `now`."""
        attempts = self._attempts.get(key)
        if attempts is None:
            attempts = self._attempts[key] = deque()
            if len(self._attempts) > self.max_keys:
                self._attempts.popitem(last=False)
        else:
            self._attempts.move_to_end(key)
        attempts.append(now)


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused and when to come back."""

    reason: str
    retry_after_s: int


class AttemptLimiter:
    """Log-in and register attempts per client address and per account (e-mail)."""

    def __init__(self, per_address: int, per_account: int, window_s: float) -> None:
        self._addresses = SlidingWindow(per_address, window_s)
        self._accounts = SlidingWindow(per_account, window_s)
        self._lock = threading.Lock()  # the auth routes run in the thread pool

    def attempt(self, address: str, email: str, now: float) -> Refusal | None:
        """Count an attempt, or say why it is refused (a refused one is not counted)."""
        address_key, account_key = client_key(address), email.strip().lower()
        with self._lock:
            by_address = self._addresses.wait_s(address_key, now)
            by_account = self._accounts.wait_s(account_key, now)
            if by_address > 0 or by_account > 0:
                what = "from this address" if by_address >= by_account else "for this account"
                wait = math.ceil(max(by_address, by_account))
                return Refusal(f"too many sign-in attempts {what}; try again in {wait} s", wait)
            self._addresses.record(address_key, now)
            self._accounts.record(account_key, now)
        return None


def client_key(address: str) -> str:
    """The key a client address is counted under: IPv4 as is, IPv6 by its /64 network
    (one host usually holds a whole /64, so single IPv6 addresses are free to rotate)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


class HashingBusyError(Exception):
    """No password-hashing slot became free in time."""


class PasswordWork:
    """Password hashing and checking, at most `slots` at once (argon2 takes 64 MiB each)."""

    def __init__(self, slots: int, wait_s: float) -> None:
        self._slots = threading.BoundedSemaphore(slots)
        self._wait_s = wait_s

    @contextmanager
    def _slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self._wait_s):
            raise HashingBusyError
        try:
            yield
        finally:
            self._slots.release()

    def hash(self, password: str) -> str:
        with self._slot():
            return hash_password(password)

    def verify(self, password_hash: str, password: str) -> bool:
        with self._slot():
            return verify_password(password_hash, password)
