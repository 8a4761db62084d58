"""Values from a request that PostgreSQL refuses to store or compare, answered as a 422.

PostgreSQL text cannot hold a NUL character and its integers have a range; a request
carrying such a value in a path, query, form or JSON field would otherwise surface as a
500 from deep in a query. Refusing each case in every model would be one check per field
of every route; the database already says precisely what is wrong, so its answer is
turned into the client's error in one place.
"""

from __future__ import annotations

import logging

from fastapi import Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

log = logging.getLogger(__name__)


def data_error_reason(exc: DataError) -> str:
    """The database's one-line reason (never the SQL statement or its parameters)."""
    primary = getattr(getattr(exc.orig, "diag", None), "message_primary", None)
    lines = str(exc.orig or "").strip().splitlines()
    return primary or (lines[0] if lines else "a value the database cannot store")


def data_error_response(request: Request, exc: DataError) -> JSONResponse:
    """422 with the database's reason for a value it refused."""
    reason = data_error_reason(exc)
    log.info("refused a value of %s %s: %s", request.method, request.url.path, reason)
    return JSONResponse(
        {"detail": f"a value in the request cannot be stored or searched: {reason}"},
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )
