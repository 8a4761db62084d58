"""The secrets of the local stack, kept under the data directory, in every command's settings.

`vori up` generates the local PostgreSQL's password and the token signing key once (see
vori/local/secrets.py) and hands them to its services. Every other command that reaches
the same stack (`vori db current`, `vori analytics run`, a service started on its own)
reads them from the same files, so it needs no password typed in. A value the user set
(VORI_POSTGRES__PASSWORD, VORI_GATEWAY__JWT_SECRET, or VORI_DATABASE_URL for an external
PostgreSQL) always wins; only `vori up` creates a secret that is missing.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from vori.local.secrets import read_or_create_secret, secret_path
from vori.settings import PUBLIC_JWT_SECRET, Settings

JWT_SECRET = "jwt-secret"
POSTGRES_PASSWORD = "postgres-password"


def with_local_secrets(
    settings: Settings, data_dir: Path, *, create: bool = True
) -> tuple[Settings, dict[str, str]]:
    """Settings completed with the secrets kept under `data_dir` (the token secret unless
    one other than the public default is set, the local database's password unless set),
    and the variables that hand them to child processes. `create`: generate a missing
    secret (`vori up`); otherwise one not yet generated stays unset."""
    env: dict[str, str] = {}
    secret = settings.gateway.jwt_secret
    if secret.get_secret_value() == PUBLIC_JWT_SECRET:
        kept = _secret(data_dir, JWT_SECRET, create)
        if kept is not None:
            secret = SecretStr(kept)
            gateway = settings.gateway.model_copy(update={"jwt_secret": secret})
            settings = settings.model_copy(update={"gateway": gateway})
    env["VORI_GATEWAY__JWT_SECRET"] = secret.get_secret_value()
    if settings.uses_local_postgres:
        password = settings.postgres.password
        if password is None:
            kept = _secret(data_dir, POSTGRES_PASSWORD, create)
            if kept is not None:
                password = SecretStr(kept)
                postgres = settings.postgres.model_copy(update={"password": password})
                settings = settings.model_copy(update={"postgres": postgres})
        if password is not None:
            env["VORI_POSTGRES__PASSWORD"] = password.get_secret_value()
    return settings, env


def _secret(data_dir: Path, name: str, create: bool) -> str | None:
    path = secret_path(data_dir, name)
    if not create and not path.exists():
        return None
    return read_or_create_secret(path)
