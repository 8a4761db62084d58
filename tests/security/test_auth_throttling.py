"""Log-in and register are throttled per address and per account, before any hashing.

Test clients all connect from 127.0.0.1, which uvicorn trusts as a proxy: an
X-Forwarded-For header stands for a client at another address.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.helpers.gateway import GatewayServer, serve_gateway
from vori.settings import Settings

PASSWORD = "correct horse battery"


@pytest.fixture
def throttled(settings: Settings) -> Iterator[Any]:
    """Start a gateway with the given limits: `throttled(auth_attempts_per_address=5)`."""
    servers: list[Iterator[GatewayServer]] = []

    def start(**gateway: Any) -> httpx.Client:
        serving = serve_gateway(settings, **gateway)
        server = next(serving)
        servers.append(serving)
        return httpx.Client(base_url=server.url, timeout=30)

    yield start
    for serving in servers:
        next(serving, None)


def _email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


def _log_in(
    client: httpx.Client, email: str, address: str | None = None, password: str = "wrong guess!"
) -> httpx.Response:
    headers = {"X-Forwarded-For": address} if address else {}
    return client.post(
        "/api/v1/auth/token", data={"username": email, "password": password}, headers=headers
    )


def _assert_throttled(answer: httpx.Response, reason: str) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.json()["detail"].startswith(f"too many sign-in attempts {reason}; try again in")
    assert 1 <= int(answer.headers["retry-after"]) <= 60


def test_a_login_burst_from_one_address_is_refused_without_hashing(throttled: Any) -> None:
    client = throttled(auth_attempts_per_address=10, auth_attempts_per_account=1000)
    answers = []
    for _ in range(30):
        started = time.perf_counter()
        answers.append((_log_in(client, _email()), time.perf_counter() - started))
    assert [a.status_code for a, _ in answers] == [401] * 10 + [429] * 20
    _assert_throttled(answers[-1][0], "from this address")
    # A refusal costs no argon2 verification (tens of ms): it is much faster than a 401.
    checked = statistics.median(t for a, t in answers if a.status_code == 401)
    refused = statistics.median(t for a, t in answers if a.status_code == 429)
    assert refused < checked / 2, (refused, checked)
    assert _log_in(client, _email(), address="10.1.2.3").status_code == 401


def test_attempts_on_one_account_are_limited_from_any_address(throttled: Any) -> None:
    client = throttled(auth_attempts_per_address=1000, auth_attempts_per_account=3)
    victim = _email()
    created = client.post(
        "/api/v1/auth/register",
        json={"email": victim, "password": PASSWORD, "display_name": "Vic"},
    )
    assert created.status_code == 201
    statuses = [_log_in(client, victim, address=f"10.9.0.{n}").status_code for n in range(4)]
    assert statuses == [401, 401, 429, 429]  # the register counted as the first attempt
    _assert_throttled(_log_in(client, victim.upper(), address="10.9.1.1"), "for this account")
    assert _log_in(client, _email()).status_code == 401  # other accounts are not affected


def test_register_is_limited_per_address(throttled: Any) -> None:
    client = throttled(auth_attempts_per_address=3)

    def register(address: str) -> httpx.Response:
        return client.post(
            "/api/v1/auth/register",
            json={"email": _email(), "password": PASSWORD, "display_name": "New"},
            headers={"X-Forwarded-For": address},
        )

    assert [register("10.7.0.1").status_code for _ in range(3)] == [201] * 3
    _assert_throttled(register("10.7.0.1"), "from this address")
    assert register("10.7.0.2").status_code == 201


def test_a_burst_of_logins_queues_for_few_hashing_slots_then_gets_503(throttled: Any) -> None:
    client = throttled(
        auth_attempts_per_address=1000, password_hash_slots=1, password_hash_wait_s=0.02
    )
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: _log_in(client, _email()), range(16)))
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) == {401, 503}, statuses
    busy = next(a for a in answers if a.status_code == 503)
    assert busy.headers["retry-after"] == "1"
    assert busy.json()["detail"] == "too many sign-ins at once; try again shortly"
