"""The LLM paths a benchmark can add beside the rules: the local model, started here at a
lower priority as `vori up --llm local` starts it, and any OpenAI-compatible server.

Both benches (bench/summarizer.py on the written meetings, bench/meetings.py on the real
ones) take the same options from `add_arguments` and get their clients from `llm_clients`.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from summarizer.llm_client import LlmClient
from summarizer.local_llm.install import MODEL_NAME, install, server_command
from tests.helpers.ports import free_port
from vori.settings import Settings, SummarizerSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--local", action="store_true", help="also run the local model")
    parser.add_argument("--threads", type=int, default=2, help="threads of the local model")
    parser.add_argument("--nice", type=int, default=10, help="niceness of the local model")
    parser.add_argument("--llm-url", help="an OpenAI-compatible base URL to benchmark")
    parser.add_argument("--model", default="gpt-4o-mini", help="model name for --llm-url")
    parser.add_argument(
        "--json-mode", default="json_schema", choices=["json_schema", "json_object"]
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per LLM request")


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def start_local(settings: Settings, port: int, threads: int, nice: int) -> subprocess.Popen[bytes]:
    settings = settings.model_copy(
        update={
            "summarizer": settings.summarizer.model_copy(
                update={"local_port": port, "local_threads": threads, "local_nice": nice}
            )
        }
    )
    install(settings)
    process = subprocess.Popen(
        server_command(settings, port),
        stdout=subprocess.DEVNULL,
        preexec_fn=lambda: os.nice(nice),
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("the local LLM did not start within 120 s")


@contextmanager
def llm_clients(
    settings: Settings, args: argparse.Namespace
) -> Iterator[list[tuple[str, LlmClient, SummarizerSettings]]]:
    """(path name, client, its settings) for each LLM the options ask for; a local server
    runs meanwhile."""
    urls: list[tuple[str, str, str, str]] = []
    if args.llm_url:
        urls.append((f"llm:{args.model}", args.llm_url, args.model, "auto"))
    local: subprocess.Popen[bytes] | None = None
    # A bench stopped by `kill` must not leave the local model's server running: SIGTERM
    # becomes SystemExit, so the `finally` below stops the server.
    previous = signal.signal(signal.SIGTERM, _exit_on_signal)
    if args.local:
        port = free_port()
        local = start_local(settings, port, args.threads, args.nice)
        urls.append(("llm:local-1.5b", f"http://127.0.0.1:{port}/v1", MODEL_NAME, "local"))
    try:
        clients = []
        for name, url, model, mode in urls:
            config = settings.summarizer.model_copy(
                update={
                    "model": model,
                    "llm": mode,
                    "json_mode": args.json_mode,
                    "timeout_s": args.timeout,
                }
            )
            client = LlmClient(settings.model_copy(update={"summarizer": config}), url)
            clients.append((name, client, config))
        yield clients
    finally:
        if local is not None:
            local.terminate()
            local.wait(30)
        signal.signal(signal.SIGTERM, previous)
