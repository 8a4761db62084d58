"""The `vori` client's saved logins: which gateway, as whom, with which token.

Kept in one JSON file readable by the user only (settings.client.token_file, else the
user's config directory); the last login is the default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vori.settings import Settings


class ClientError(Exception):
    """Something the user must fix; the message says what."""


def credentials_path(settings: Settings) -> Path:
    """Where logins are kept: settings.client.token_file or the user's config dir."""
    if settings.client.token_file is not None:
        return settings.client.token_file
    import platformdirs

    return platformdirs.user_config_path("vori") / "credentials.json"


def gateway_url(settings: Settings) -> str:
    return (
        settings.client.gateway_url
        or settings.gateway.public_url
        or f"http://{settings.host}:{settings.gateway.port}"
    ).rstrip("/")


@dataclass
class Login:
    """A saved login: which gateway, as whom, with which token."""

    gateway_url: str
    email: str
    access_token: str


def save_login(path: Path, login: Login) -> None:
    """Store a login (readable by the user only) and make it the default."""
    data = _read_logins(path)
    data.setdefault("logins", {})[login.email] = login.__dict__
    data["default"] = login.email
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.chmod(0o600)
    tmp.replace(path)


def load_login(path: Path, who: str | None = None) -> Login:
    """The default login, or the one saved for `who` (an e-mail address)."""
    data = _read_logins(path)
    email = who or data.get("default")
    found = data.get("logins", {}).get(email) if email else None
    if found is None:
        hint = f" as {who}" if who else ""
        raise ClientError(f"not logged in{hint}: run `vori login` first")
    return Login(**found)


def _read_logins(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ClientError(f"{path} is not valid JSON ({exc}); delete it and log in again") from None
    return data
