"""The settings every `vori` command starts from, in a module of its own so that the
command groups (vori/cli/analytics.py, ...) and the root app (vori/cli/main.py) share it
without importing each other."""

from __future__ import annotations

import typer

from vori.cli.local_secrets import with_local_secrets
from vori.logs import configure_logging
from vori.settings import Settings, SettingsError, load_settings


def load() -> Settings:
    """Settings for a command, completed with the secrets `vori up` keeps in the data
    directory (so a command reaches its PostgreSQL); a bad value ends the command with
    the variable's name."""
    try:
        settings = load_settings()
        settings, _ = with_local_secrets(settings, settings.data_dir.resolve(), create=False)
    except SettingsError as exc:
        typer.echo(f"vori: {exc}", err=True)
        raise typer.Exit(2) from None
    except (OSError, ValueError) as exc:  # an unreadable or empty secret file
        typer.echo(f"vori: cannot read the local secrets: {exc}", err=True)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level)
    return settings
