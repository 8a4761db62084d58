"""Log records lose tokens and credential query values before any handler writes them."""

from __future__ import annotations

import logging

import pytest

from vori.logs import REDACTED, RedactSecrets, configure_logging, redact

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfMSJ9.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"GET /api/v1/me?token={TOKEN}&x=1", f"GET /api/v1/me?token={REDACTED}&x=1"),
        ("/events?access_token=abc.def&since=3", f"/events?access_token={REDACTED}&since=3"),
        ("/x?password=hunter2 HTTP/1.1", f"/x?password={REDACTED} HTTP/1.1"),
        (f"Bearer {TOKEN} refused", f"Bearer {REDACTED} refused"),
        ("/api/v1/meetings?status=active&limit=5", "/api/v1/meetings?status=active&limit=5"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_uvicorn_access_records_are_redacted_through_its_own_configuration(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import uvicorn

    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    configure_logging("INFO")
    root.handlers[:] = saved  # keep pytest's capture of the other tests
    root.setLevel(level)
    uvicorn.Config(app="tests:nothing", log_level="info")  # re-configures uvicorn's loggers
    access = logging.getLogger("uvicorn.access")
    access.addHandler(caplog.handler)
    try:
        access.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5",
            "GET",
            f"/api/v1/me?token={TOKEN}",
            "1.1",
            200,
        )
    finally:
        access.removeHandler(caplog.handler)
        for name in ("uvicorn.access", "uvicorn.error"):
            logging.getLogger(name).filters.clear()
    [record] = [r for r in caplog.records if r.name == "uvicorn.access"]
    assert TOKEN not in record.getMessage()
    assert f"token={REDACTED}" in record.getMessage()


def test_filter_keeps_every_record() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", (TOKEN,), None)
    assert RedactSecrets().filter(record)
    assert record.getMessage() == REDACTED
