"""The gateway's REST API for test set-up and checks (what a second client would see)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

PASSWORD = "correct-horse-battery-staple"
T = TypeVar("T")


@dataclass(frozen=True)
class Account:
    """A registered user and a valid token."""

    user_id: str
    name: str
    email: str
    password: str
    token: str


class Api:
    """A thin synchronous client of the gateway for tests."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=20)

    def register(self, name: str) -> Account:
        email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
        created = self.http.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "display_name": name},
        )
        assert created.status_code == 201, created.text
        token = self.http.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
        assert token.status_code == 200, token.text
        return Account(created.json()["id"], name, email, PASSWORD, token.json()["access_token"])

    def call(self, account: Account, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {account.token}", **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def json(self, account: Account, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(account, method, path, **kwargs)
        assert response.status_code < 300, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response.json()

    def create_meeting(
        self, owner: Account, title: str, language: str = "en", board_id: str | None = None
    ) -> dict[str, Any]:
        body = {"title": title, "language": language}
        if board_id:
            body["board_id"] = board_id
        meeting: dict[str, Any] = self.json(owner, "POST", "/api/v1/meetings", json=body)
        return meeting

    def invite(self, owner: Account, meeting_id: str, member: Account) -> None:
        self.json(
            owner, "POST", f"/api/v1/meetings/{meeting_id}/members", json={"email": member.email}
        )

    def transcript(self, account: Account, meeting_id: str) -> list[dict[str, Any]]:
        data = self.json(account, "GET", f"/api/v1/meetings/{meeting_id}/transcript?format=json")
        return list(data["segments"])

    def board(self, account: Account, board_id: str) -> dict[str, Any]:
        board: dict[str, Any] = self.json(account, "GET", f"/api/v1/boards/{board_id}")
        return board

    def close(self) -> None:
        self.http.close()


def wait_for(check: Callable[[], T | None], timeout_s: float, what: str, every_s: float = 0.5) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` after the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(every_s)
