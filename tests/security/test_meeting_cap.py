"""The cap of meetings one person may own (VORI_GATEWAY__MAX_MEETINGS_PER_USER): one more
is refused 403 with the reason, also when many are asked for at the same moment."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.helpers.gateway import GatewayServer, create_meeting, register, serve_gateway
from vori.settings import Settings

CAP = 3
BODY = {"title": "One too many", "language": "en"}


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings, max_meetings_per_user=CAP)


@pytest.fixture
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        yield client


def test_a_person_may_own_at_most_the_cap_of_meetings(client: httpx.Client) -> None:
    owner = register(client, "Busy")
    for _ in range(CAP):
        create_meeting(client, owner)
    refused = client.post("/api/v1/meetings", json=BODY, headers=owner.headers)
    assert refused.status_code == 403, refused.text
    assert f"the most one person may have here ({CAP})" in refused.json()["detail"]
    # Erasing one makes room again; someone else is not affected by this person's count.
    meetings = client.get("/api/v1/meetings", headers=owner.headers).json()
    erased = client.delete(f"/api/v1/meetings/{meetings[0]['id']}", headers=owner.headers)
    assert erased.status_code == 204, erased.text
    create_meeting(client, owner)
    create_meeting(client, register(client, "Other"))


def test_parallel_creations_cannot_pass_the_cap_together(gateway: GatewayServer) -> None:
    with httpx.Client(base_url=gateway.url, timeout=60) as client:
        owner = register(client, "Rush")

    def create(_: int) -> int:
        with httpx.Client(base_url=gateway.url, timeout=60) as own:
            return own.post("/api/v1/meetings", json=BODY, headers=owner.headers).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = sorted(pool.map(create, range(8)))
    assert answers == [201] * CAP + [403] * (8 - CAP), answers
