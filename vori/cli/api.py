"""The gateway's REST API as the `vori` client's logged-in user (docs/protocol.md)."""

from __future__ import annotations

from typing import Any

import httpx

from vori.cli.logins import ClientError

AUDIO_PATH = "/ingest/v1/meetings/{meeting_id}/audio"


class Api:
    """The gateway's REST API as the logged-in user."""

    def __init__(self, base_url: str, token: str | None = None, timeout_s: float = 30) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout_s)

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ClientError(f"cannot reach the gateway at {self.http.base_url}: {exc}") from None
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ClientError(f"{method} {path}: {response.status_code} {detail}")
        return response

    def token(self, email: str, password: str) -> str:
        form = {"username": email, "password": password}
        return str(self._call("POST", "/api/v1/auth/token", data=form).json()["access_token"])

    def create_meeting(self, title: str, language: str) -> dict[str, Any]:
        body = {"title": title, "language": language}
        return dict(self._call("POST", "/api/v1/meetings", json=body).json())

    def meetings(self) -> list[dict[str, Any]]:
        data: Any = self._call("GET", "/api/v1/meetings").json()
        if isinstance(data, dict):
            data = data.get("items", data.get("meetings", []))
        return [dict(item) for item in data]

    def meeting(self, meeting_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/api/v1/meetings/{meeting_id}").json())

    def add_member(self, meeting_id: str, email: str) -> dict[str, Any]:
        body = {"email": email}
        return dict(self._call("POST", f"/api/v1/meetings/{meeting_id}/members", json=body).json())

    def end_meeting(self, meeting_id: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/api/v1/meetings/{meeting_id}/end").json())

    def transcript(self, meeting_id: str, fmt: str = "txt") -> str:
        path = f"/api/v1/meetings/{meeting_id}/transcript"
        return self._call("GET", path, params={"format": fmt}).text

    def retranscribe(self, meeting_id: str, model: str, language: str | None) -> dict[str, Any]:
        body = {"model": model, "language": language}
        path = f"/api/v1/meetings/{meeting_id}/retranscriptions"
        return dict(self._call("POST", path, json=body).json())

    def retranscription(self, meeting_id: str, job_id: str) -> dict[str, Any]:
        path = f"/api/v1/meetings/{meeting_id}/retranscriptions/{job_id}"
        return dict(self._call("GET", path).json())

    def audio_url(self, meeting_id: str) -> str:
        """The meeting's audio WebSocket URL, as the gateway's /api/v1/config says."""
        config = self._call("GET", "/api/v1/config").json()
        template = str(config.get("audio_path_template", AUDIO_PATH))
        return str(config["audio_ws_url"]).rstrip("/") + template.format(meeting_id=meeting_id)
