"""Benchmark of the gateway under a burst of log-in attempts from one client address.

Two bursts of N wrong-password attempts (distinct unknown e-mails, so only the
per-address limit applies) are sent back to back with C in flight at once. For each it
reports the answers by status, how many refusals (429/503) the gateway gave per second,
the median latency of checked (401) and refused answers, and the gateway's RSS before,
at its peak (sampled every 5 ms with psutil) and after. It starts its own Kafka and
PostgreSQL (as bench/ingest.py does) and the gateway as a separate process
(`python -m vori gateway`).

    .venv/bin/python -m bench.login_burst --attempts 200 --concurrency 50 --before dd93e21

`--before REF` also measures the gateway of that commit (`git archive` into a temporary
directory, run with this venv), interleaved with the current tree on the same engines.
Everything shares this machine's cores: the load average is recorded with each run.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.ingest import _wait_http, start_engines

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


class RssSampler:
    """Peak resident memory of one process, sampled in a thread."""

    def __init__(self, pid: int, interval_s: float = 0.005) -> None:
        self.process = psutil.Process(pid)
        self.interval_s = interval_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.interval_s)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


async def _burst(url: str, attempts: int, concurrency: int) -> list[tuple[int, float]]:
    """`attempts` log-ins with wrong passwords, `concurrency` at once: (status, seconds)."""
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:

        async def one() -> tuple[int, float]:
            async with gate:
                started = time.perf_counter()
                answer = await client.post(
                    "/api/v1/auth/token",
                    data={"username": f"x-{uuid.uuid4().hex[:12]}@example.com", "password": "no!"},
                )
                return answer.status_code, time.perf_counter() - started

        return await asyncio.gather(*(one() for _ in range(attempts)))


def _median_ms(answers: list[tuple[int, float]], codes: set[int]) -> float | None:
    times = [t for code, t in answers if code in codes]
    return round(statistics.median(times) * 1000, 1) if times else None


def run_variant(
    name: str, root: Path, env: dict[str, str], attempts: int, concurrency: int
) -> list[dict[str, Any]]:
    from tests.helpers.ports import free_port

    port = free_port()
    server_env = {**env, "VORI_GATEWAY__PORT": str(port), "PYTHONPATH": str(root)}
    server = subprocess.Popen([sys.executable, "-m", "vori", "gateway"], cwd=root, env=server_env)
    url = f"http://127.0.0.1:{port}"
    rows = []
    try:
        _wait_http(url + "/healthz")
        time.sleep(2.0)  # let the consumers settle before the idle reading
        process = psutil.Process(server.pid)
        for burst in (1, 2):
            before = process.memory_info().rss
            cpu_before = process.cpu_times()
            with RssSampler(server.pid) as sampler:
                started = time.perf_counter()
                answers = asyncio.run(_burst(url, attempts, concurrency))
                wall = time.perf_counter() - started
            cpu_after = process.cpu_times()
            counts = Counter(code for code, _ in answers)
            refused = counts[429] + counts[503]
            rows.append(
                {
                    "variant": name,
                    "burst": burst,
                    "attempts": attempts,
                    "concurrency": concurrency,
                    "statuses": {str(k): v for k, v in sorted(counts.items())},
                    "wall_s": round(wall, 2),
                    "refused_per_s": round(refused / wall, 1),
                    "answers_per_s": round(attempts / wall, 1),
                    "checked_p50_ms": _median_ms(answers, {401}),
                    "refused_p50_ms": _median_ms(answers, {429, 503}),
                    "server_cpu_s": round(
                        cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system, 2
                    ),
                    "rss_before_mb": round(before / 2**20, 1),
                    "rss_peak_mb": round(sampler.peak / 2**20, 1),
                    "rss_after_mb": round(process.memory_info().rss / 2**20, 1),
                    "load_avg_1m": round(os.getloadavg()[0], 2),
                }
            )
    finally:
        server.terminate()
        server.wait(30)
    return rows


def _checkout(ref: str, into: Path) -> Path:
    """The tree of `ref` extracted under `into` (no .git, no venv: run with this one)."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", ref], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def _print_table(rows: list[dict[str, Any]]) -> None:
    head = (
        f"{'variant':<10} {'burst':>5} {'statuses':<22} {'wall s':>7} {'refused/s':>10} "
        f"{'401 p50 ms':>10} {'refused p50':>11} {'cpu s':>6} {'RSS before':>10} "
        f"{'peak':>7} {'after':>7}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        statuses = " ".join(f"{k}:{v}" for k, v in r["statuses"].items())
        print(
            f"{r['variant']:<10} {r['burst']:>5} {statuses:<22} {r['wall_s']:>7} "
            f"{r['refused_per_s']:>10} {r['checked_p50_ms'] or '-':>10} "
            f"{r['refused_p50_ms'] or '-':>11} {r['server_cpu_s']:>6} "
            f"{r['rss_before_mb']:>10} {r['rss_peak_mb']:>7} {r['rss_after_mb']:>7}"
        )
    print("RSS in MiB; refused = 429 (attempt limit) + 503 (no hashing slot).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=200, help="Attempts per burst.")
    parser.add_argument("--concurrency", type=int, default=50, help="Attempts in flight.")
    parser.add_argument("--before", help="Also measure the gateway of this git commit.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vori-login-burst-") as tmp:
        workdir = Path(tmp)
        _settings, env, engines = start_engines(workdir)
        try:
            variants = [("current", REPO)]
            if args.before:
                variants.insert(0, ("before", _checkout(args.before, workdir / "before")))
            rows = []
            for name, root in variants:
                rows += run_variant(name, root, env, args.attempts, args.concurrency)
        finally:
            for engine in reversed(engines):
                engine.stop()

    _print_table(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "login-burst.json"
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "before_ref": args.before,
        "runs": rows,
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
