"""Which commitments become a meeting's cards, through a real gateway and PostgreSQL: chosen
at creation or later by the owner, left to the deployment when unset, refused with a
message when unknown. The summarizer reading it: test_summarizer_real_meeting.py."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.helpers.gateway import GatewayServer, add_member, create_meeting, register, serve_gateway
from vori.settings import Settings


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings)


@pytest.fixture(scope="module")
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        yield http


def test_the_owner_chooses_which_commitments_become_cards(client: httpx.Client) -> None:
    owner = register(client, "Ana")
    bea = register(client, "Bea")
    unset = create_meeting(client, owner)
    assert unset["tasks"] is None  # the deployment's VORI_SUMMARIZER__TASKS
    meeting = create_meeting(client, owner, tasks="thorough")
    assert meeting["tasks"] == "thorough"
    add_member(client, owner, meeting["id"], bea)
    url = f"/api/v1/meetings/{meeting['id']}"

    refused = client.patch(url, json={"tasks": "selective"}, headers=bea.headers)
    assert refused.status_code == 403
    changed = client.patch(url, json={"tasks": "selective"}, headers=owner.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["tasks"] == "selective"
    assert client.get(url, headers=bea.headers).json()["tasks"] == "selective"


def test_an_unknown_selection_is_refused_with_a_message(client: httpx.Client) -> None:
    owner = register(client)
    created = client.post(
        "/api/v1/meetings", json={"title": "Standup", "tasks": "all"}, headers=owner.headers
    )
    assert created.status_code == 422
    assert "selective" in created.text
    meeting = create_meeting(client, owner)
    url = f"/api/v1/meetings/{meeting['id']}"
    patched = client.patch(url, json={"tasks": "every"}, headers=owner.headers)
    assert patched.status_code == 422
    assert client.get(url, headers=owner.headers).json()["tasks"] is None
