"""`vori upload FILE --meeting ID`: a recording into a meeting, resumably, then its
transcription followed until it is done.

The file goes up in parts through the gateway's resumable upload API (docs/protocol.md,
"Uploading a recording"): after any failure the client asks the gateway where the upload
stands and goes on from there, so a dropped connection costs at most one part; an upload
cut off altogether is continued with `--resume UPLOAD_ID`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# Consecutive failures without progress before the upload gives up (the gateway or the
# network is away for good); each waits twice as long as the one before, up to 30 s.
MAX_FAILURES = 8
POLL_S = 1.0


class UploadError(Exception):
    """The upload cannot go on; the message says why."""


@dataclass(frozen=True)
class UploadState:
    upload_id: str
    offset: int
    size: int
    part_max: int
    status: str
    progress: float
    error: str | None

    @classmethod
    def of(cls, body: dict[str, Any]) -> UploadState:
        return cls(
            upload_id=str(body["upload_id"]),
            offset=int(body["offset"]),
            size=int(body["size_bytes"]),
            part_max=int(body["part_max_bytes"]),
            status=str(body["status"]),
            progress=float(body.get("progress") or 0.0),
            error=body.get("error"),
        )


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text


class RecordingUpload:
    """One file's upload into one meeting over the gateway's resumable upload API."""

    def __init__(
        self,
        http: httpx.Client,
        meeting_id: str,
        path: Path,
        *,
        on_status: Callable[[str], None] = lambda _text: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.meeting_id = meeting_id
        self.path = path
        self.size = path.stat().st_size
        self.on_status = on_status
        self.sleep = sleep
        self.retries = 0
        self.base = f"/api/v1/meetings/{meeting_id}/uploads"

    def begin(self, *, end: bool, room: bool = False) -> UploadState:
        """Declare the upload (`room`: several people on one microphone, told apart by
        voice); raises UploadError if the gateway refuses it."""
        if self.size == 0:
            raise UploadError(f"{self.path} is empty")
        body = {"filename": self.path.name, "size_bytes": self.size, "end": end, "room": room}
        response = self._request("POST", self.base, json=body)
        if response.status_code != 201:
            raise UploadError(f"upload refused: {response.status_code} {_detail(response)}")
        return UploadState.of(response.json())

    def state(self, upload_id: str) -> UploadState:
        """Where an upload stands (offset, status, progress)."""
        response = self._request("GET", f"{self.base}/{upload_id}")
        if response.status_code != 200:
            raise UploadError(f"upload {upload_id}: {response.status_code} {_detail(response)}")
        return UploadState.of(response.json())

    def send(self, state: UploadState) -> UploadState:
        """Send the file from the upload's offset to its end, resuming after failures."""
        if state.size != self.size:
            raise UploadError(
                f"upload {state.upload_id} is of {state.size} bytes, {self.path} of {self.size}"
            )
        offset = state.offset
        failures = 0
        with self.path.open("rb") as source:
            while True:
                source.seek(offset)
                part = source.read(state.part_max) if offset < self.size else b""
                try:
                    response = self.http.patch(
                        f"{self.base}/{state.upload_id}",
                        content=part,
                        headers={
                            "Upload-Offset": str(offset),
                            "Content-Type": "application/offset+octet-stream",
                        },
                    )
                except httpx.HTTPError as exc:
                    failure = f"{type(exc).__name__}: {exc}"
                else:
                    if response.status_code == 204:
                        offset = int(response.headers["Upload-Offset"])
                        failures = 0
                        self.on_status(f"uploaded {offset}/{self.size} bytes")
                        if offset >= self.size:
                            return self.state(state.upload_id)
                        continue
                    if response.status_code == 409:  # the gateway has another offset
                        offset = int(response.json()["offset"])
                        self.on_status(f"the gateway has {offset} bytes; going on from there")
                        continue
                    if response.status_code in (400, 403, 404, 413, 422):
                        raise UploadError(f"{response.status_code} {_detail(response)}")
                    failure = f"{response.status_code} {_detail(response)}"
                failures += 1
                self.retries += 1
                if failures >= MAX_FAILURES:
                    raise UploadError(f"giving up after {failures} failures: {failure}")
                self.sleep(min(30.0, 0.5 * 2 ** (failures - 1)))
                offset = self._resume_offset(state.upload_id, offset, failure)

    def _resume_offset(self, upload_id: str, offset: int, failure: str) -> int:
        """Ask the gateway how much it has; the previous offset if it cannot say now."""
        try:
            offset = self.state(upload_id).offset
        except UploadError as exc:
            self.on_status(f"{failure}; the upload's offset is unknown ({exc}); trying again")
            return offset
        self.on_status(f"{failure}; resuming at byte {offset}")
        return offset

    def follow(self, upload_id: str, timeout_s: float) -> UploadState:
        """Poll the upload until it is transcribed or failed (or `timeout_s` passed)."""
        deadline = time.monotonic() + timeout_s
        shown = None
        while True:
            try:
                state = self.state(upload_id)
            except (UploadError, httpx.HTTPError) as exc:
                self.on_status(f"status unavailable: {exc}")
            else:
                seen = (state.status, round(state.progress, 2))
                if seen != shown:
                    shown = seen
                    self.on_status(f"transcription: {state.status} {state.progress:.0%}")
                if state.status in ("transcribed", "failed"):
                    return state
            if time.monotonic() >= deadline:
                raise UploadError(f"not transcribed within {timeout_s:.0f} s; still {shown}")
            self.sleep(POLL_S)

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise UploadError(f"cannot reach the gateway at {self.http.base_url}: {exc}") from None
