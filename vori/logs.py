"""Logging set-up shared by every vori process."""

from __future__ import annotations

import logging


def configure_logging(level: str = "INFO") -> None:
    """One line per record with time, level, logger and message, on stderr."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        force=True,
    )
    # librdkafka repeats connection failures many times a second while a broker is away.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("vori.librdkafka").setLevel(max(logging.WARNING, logging.getLevelName(level)))
