"""Logging set-up shared by every vori process."""

from __future__ import annotations

import logging
import re

# A JWT (header.payload.signature, base64url; the header always starts `{"` → `eyJ`).
_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")
# Query parameters whose values are credentials, wherever a URL is logged.
_SECRET_PARAM = re.compile(
    r"(?i)\b((?:access_|id_|refresh_)?token|jwt|password|secret|api_?key|key|auth)=[^&\s\"']*"
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """`text` without tokens and credential query values."""
    return _SECRET_PARAM.sub(rf"\1={REDACTED}", _JWT.sub(REDACTED, text))


class RedactSecrets(logging.Filter):
    """Redacts tokens and credential query values from a record's message and arguments.

    uvicorn's access log prints each request's path with its query string: a client that
    puts its token in the URL would otherwise leave it in every log line it causes.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def configure_logging(level: str = "INFO") -> None:
    """One line per record with time, level, logger and message, on stderr; no secrets."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        force=True,
    )
    redactor = RedactSecrets()
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    # uvicorn's loggers do not propagate to the root and get their handlers when a server
    # is configured; a filter on the logger itself survives that configuration.
    for name in ("uvicorn.access", "uvicorn.error"):
        logging.getLogger(name).addFilter(redactor)
    # librdkafka repeats connection failures many times a second while a broker is away.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("vori.librdkafka").setLevel(max(logging.WARNING, logging.getLevelName(level)))
