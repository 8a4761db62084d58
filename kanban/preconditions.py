"""The version a client expects a card to be at, from `If-Match` or a `version` field (pure)."""

from __future__ import annotations

import re

from kanban.errors import InvalidRequestError, PreconditionRequiredError

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


def etag(version: int) -> str:
    """The ETag of a version (what `If-Match` should send back)."""
    return f'"{version}"'


def expected_version(if_match: str | None, body_version: int | None) -> int:
    """The expected version; 428 when neither is sent, 400 when they are bad or disagree."""
    header_version: int | None = None
    if if_match is not None and if_match.strip():
        match = _ETAG.match(if_match)
        if match is None:
            raise InvalidRequestError(
                f"If-Match must be the card's version as an ETag, e.g. '\"3\"'; got {if_match!r}"
            )
        header_version = int(match.group(1))
    if header_version is not None and body_version is not None and header_version != body_version:
        raise InvalidRequestError(
            f"If-Match says version {header_version} but the body says {body_version}"
        )
    version = header_version if header_version is not None else body_version
    if version is None:
        raise PreconditionRequiredError(
            "send the version you last saw, in an If-Match header or a 'version' field, "
            "so a concurrent change is not silently overwritten"
        )
    return version
