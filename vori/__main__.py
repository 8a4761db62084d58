"""`python -m vori` is the `vori` command."""

from vori.cli.main import app

app()
