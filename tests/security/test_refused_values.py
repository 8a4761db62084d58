"""Values PostgreSQL cannot store or compare (a NUL character) are the client's error: 422
with the reason, never a 500 from deep in a query (found by tests/security/test_schemathesis.py)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.helpers.gateway import GatewayServer, create_meeting, register, serve_gateway
from vori.settings import Settings

REASON = "cannot be stored or searched: PostgreSQL text fields cannot contain NUL (0x00) bytes"


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings)


@pytest.fixture
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        yield client


def _refused(answer: httpx.Response) -> None:
    assert answer.status_code == 422, answer.text
    assert REASON in answer.json()["detail"], answer.text


def test_a_nul_in_a_log_in_name_is_refused_with_422(client: httpx.Client) -> None:
    _refused(client.post("/api/v1/auth/token", data={"username": "a\x00b", "password": "x"}))


def test_a_nul_in_a_query_or_a_json_field_is_refused_with_422(client: httpx.Client) -> None:
    ana = register(client, "Ana")
    _refused(client.get("/api/v1/search", params={"q": "plan\x00"}, headers=ana.headers))
    meeting = create_meeting(client, ana)
    _refused(
        client.patch(
            f"/api/v1/meetings/{meeting['id']}", json={"title": "x\x00y"}, headers=ana.headers
        )
    )
    # The request that was refused changed nothing, and the connection pool is still usable.
    again = client.get(f"/api/v1/meetings/{meeting['id']}", headers=ana.headers)
    assert again.status_code == 200
    assert again.json()["title"] == "Weekly sync"
