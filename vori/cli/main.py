"""`vori`: start the stack or one service, manage the database, list the models."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from vori.cli.analytics import analytics_app
from vori.cli.client import register as register_client_commands
from vori.cli.load import load
from vori.services import SERVICES, Service
from vori.settings import SettingsError, describe_settings

app = typer.Typer(
    name="vori",
    help="vori: real-time streaming meeting transcriber.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(analytics_app, name="analytics")


@app.command()
def up(
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Start only these services (repeatable)."),
    ] = None,
    llm: Annotated[
        str | None,
        typer.Option(
            "--llm",
            help="Summarizer LLM: `local` installs and starts the local model, `auto`, `off`"
            " (same as VORI_SUMMARIZER__LLM).",
        ),
    ] = None,
    monitoring: Annotated[
        bool,
        typer.Option(
            "--monitoring",
            help="Also start a local Prometheus (Debian's `prometheus`, where installed) "
            "scraping every service, with the deployment's alert rules.",
        ),
    ] = False,
) -> None:
    """Start Kafka, PostgreSQL and every service; Ctrl-C stops them all."""
    from vori.cli.up import run_stack

    if llm is not None:
        os.environ["VORI_SUMMARIZER__LLM"] = llm  # the services started below read it too
    raise typer.Exit(run_stack(load(), only, monitoring=monitoring))


@app.command()
def init(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for Kafka.")] = 120.0,
) -> None:
    """Prepare external Kafka and PostgreSQL: wait for Kafka, create topics, migrate."""
    from vori.db.migrate import upgrade
    from vori.kafka.topics import ensure_topics, wait_for_kafka

    settings = load()
    wait_for_kafka(settings.kafka, timeout)
    created = ensure_topics(settings.kafka)
    typer.echo(f"topics ready ({len(created)} created)")
    upgrade(settings)
    typer.echo("database schema up to date")


@app.command()
def models(
    no_hash: Annotated[bool, typer.Option("--no-hash", help="Skip the SHA-256 check.")] = False,
) -> None:
    """List the packaged Whisper models, where they are, and whether they verify."""
    from vori.whisper_models import PACKAGED_MODELS, model_status

    settings = load()
    failed = False
    for name in PACKAGED_MODELS:
        status = model_status(name, settings.data_dir / "models", check_hash=not no_hash)
        mark = "verified" if status.verified else ("present" if status.path else "MISSING")
        typer.echo(f"{name:8} {mark:9} {status.path or status.problem}  ({status.description})")
        failed = failed or status.path is None
    for label, value in (
        ("english", settings.transcriber.model_en),
        ("english at high accuracy", settings.transcriber.model_en_high),
        ("multilingual", settings.transcriber.model_multilingual),
    ):
        typer.echo(f"selected for {label}: {value}")
    raise typer.Exit(1 if failed else 0)


@app.command("settings")
def show_settings(
    markdown: Annotated[bool, typer.Option("--markdown", help="As a Markdown table.")] = False,
) -> None:
    """List every setting: its environment variable, default and meaning."""
    rows = list(describe_settings())
    if markdown:
        typer.echo("| variable | default | meaning |\n|---|---|---|")
        for variable, default, description in rows:
            shown = default.replace("|", "\\|")
            typer.echo(f"| `{variable}` | `{shown}` | {description} |")
        return
    for variable, default, description in rows:
        typer.echo(f"{variable}={default}    # {description}")


@db_app.command("upgrade")
def db_upgrade(revision: str = "heads") -> None:
    """Apply migrations (to the newest revision by default)."""
    from vori.db.migrate import upgrade

    upgrade(load(), revision)


@db_app.command("downgrade")
def db_downgrade(revision: str = "base") -> None:
    """Revert migrations (all of them by default)."""
    from vori.db.migrate import downgrade

    downgrade(load(), revision)


@db_app.command("current")
def db_current() -> None:
    """Print the revision the database is at."""
    from vori.db.migrate import current

    typer.echo(current(load()) or "(empty)")


def _service_command(service: Service) -> None:
    def command() -> None:
        settings = load()
        if not service.available:
            typer.echo(f"vori: the {service.name} service is not part of this build yet", err=True)
            raise typer.Exit(2)
        try:
            service.load()(settings)
        except SettingsError as exc:  # e.g. a forgeable token secret beyond loopback
            typer.echo(f"vori: {exc}", err=True)
            raise typer.Exit(2) from None

    command.__doc__ = f"Run the {service.name} service: {service.description}."
    app.command(service.name)(command)


for _service in SERVICES.values():
    _service_command(_service)

register_client_commands(app, load)


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
