"""Load ramp: concurrent streams of real speech through ingest, Kafka and the transcriber.

    .venv/bin/python -m bench.load [--steps 2 4 8 12 16 24 32] [--seconds 30]
        [--transcribers 1 2] [--budget-s 480] [--language en|ko] [--p95-target-s 3]
        [--quick]

Starts its own Kafka broker and PostgreSQL (bench.ingest's engines), one `vori
stream-ingest` and 1 (then 2) `vori transcriber` processes (tiny.en int8, one consumer
group), and for each step N opens N WebSocket streams (meetings of up to 4 participants,
tokens minted like bench.ingest) that send the shared English clips in real time, 100 ms
frames, as the browser does. Per step: end of speech -> final p50/p95, onset -> first
partial, the transcriber group's lag on audio.frames, CPU cores and peak RSS of every
service process (psutil), how busy the whole machine was, refusals (close 1013), and which
resource saturated first, and the finals' accuracy (WER with Whisper's English
normaliser; CER for Korean, spaces and punctuation removed: bench/korean_gap.py). The
ramp stops at the first step with final p95 above the target (3 s) or a refusal, or when
the time budget is spent; a slow machine gives a short table, never a failure.

`--language ko`: the streams are the Korean clips (ko/naver, 50 phone-style questions,
all of them, each stream starting at a different clip, with 1 s pauses) and their
meetings' language is `ko`, so the transcriber decodes them with the multilingual model
(`base` by default), which it loads at start; latency is measured as for English, from
each clip's end of speech (the phone clips carry up to 2 s of silence after it).

Writes bench/results/load[-quick][-ko].json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from confluent_kafka import Consumer, TopicPartition

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.ingest import _members, _wait_http, start_engines  # noqa: E402
from bench.korean_gap import TrackText, korean_clips, per_clip  # noqa: E402
from bench.transcriber import (  # noqa: E402
    Track,
    continuous_tracks,
    english_clips,
    error_rate,
    speech_end,
)
from tests.helpers.ports import free_port  # noqa: E402
from tests.helpers.transcriber import (  # noqa: E402
    SAMPLE_RATE,
    Clip,
    SegmentReader,
    start_group_at_end,
    start_transcriber,
    stop,
)
from vori.audio import CHANNELS, ENCODING  # noqa: E402
from vori.events import AUDIO_FRAMES  # noqa: E402

FRAME_MS = 100
P95_TARGET_S = 3.0
COST = """\
What a run costs: the ramp starts no step once --budget-s (counted from the start,
engine start-up included) is nearly spent, and the step under way finishes (--seconds
plus up to 30 s for its last finals), so a full run takes about the budget plus 1-2
minutes: ~10 minutes with the defaults, both transcriber counts together; --quick about
3 minutes. It keeps the machine's cores busy throughout: run it on a quiet machine, as
other load moves every figure. Korean decodes with `base`, several times slower per
audio second than tiny.en, so its ramp stops at fewer streams, not later."""
PARTICIPANTS = 4  # streams per meeting


@dataclass
class Step:
    transcribers: int
    streams: int
    meetings: int
    audio_s: float
    opened: int
    refused_1013: int
    other_failures: int
    final_p50_s: float
    final_p95_s: float
    partial_p50_s: float
    partial_p95_s: float
    clips_without_final: int
    lag_max_frames: int  # audio.frames messages (100 ms each) not committed, worst sample
    lag_end_frames: int  # when the last audio was sent
    machine_busy_pct: float
    load_avg_1m: float
    cpu_cores: dict[str, float] = field(default_factory=dict)
    rss_mb: dict[str, float] = field(default_factory=dict)
    transcriber_cpu_s_per_audio_s: float = 0.0
    ingest_cpu_s_per_audio_s: float = 0.0
    saturated: str = ""
    language: str = "en"
    error_metric: str = "wer"  # cer for Korean
    error_rate: float = float("nan")


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 2) if values else float("nan")


async def _stream(
    url: str, token: str, track: Track, opened: dict[str, tuple[Track, float]], out: dict[str, int]
) -> None:
    """One participant: start, real-time 100 ms frames of the track, stop."""
    import websockets

    try:
        ws = await websockets.connect(url, ping_interval=None, open_timeout=60, compression=None)
    except Exception as exc:  # a refused connection is a result, not a crash
        print(f"stream failed to open: {exc!r}", file=sys.stderr)
        out["failed"] += 1
        return
    async with ws:
        start = {
            "type": "start",
            "sample_rate": SAMPLE_RATE,
            "encoding": ENCODING,
            "channels": CHANNELS,
        }
        await ws.send(json.dumps({**start, "token": token}))
        try:
            ready = json.loads(await asyncio.wait_for(ws.recv(), 60))
        except websockets.ConnectionClosed as closed:
            out["refused" if closed.rcvd and closed.rcvd.code == 1013 else "failed"] += 1
            return
        if ready.get("type") != "ready":
            out["failed"] += 1
            return
        step = SAMPLE_RATE * FRAME_MS // 1000
        pcm = track.samples.astype("<i2").tobytes()
        t0 = time.time()
        opened[ready["stream_id"]] = (track, t0)

        async def drain() -> None:
            async for _ in ws:
                pass

        reader = asyncio.create_task(drain())
        try:
            for index in range(0, len(track.samples), step):
                await asyncio.sleep(max(0.0, t0 + (index + step) / SAMPLE_RATE - time.time()))
                await ws.send(pcm[2 * index : 2 * (index + step)])
            await ws.send(json.dumps({"type": "stop"}))
            await asyncio.wait_for(reader, 10)
        except (websockets.ConnectionClosed, TimeoutError) as exc:
            code = getattr(getattr(exc, "rcvd", None), "code", None)
            if code not in (None, 1000):
                print(f"stream {ready['stream_id']} closed {code}", file=sys.stderr)
        finally:
            reader.cancel()


def _clients(
    url_tokens: list[tuple[str, str, Track]],
    opened: dict[str, tuple[Track, float]],
    out: dict[str, int],
) -> None:
    async def run() -> None:
        tasks = []
        for url, token, track in url_tokens:
            tasks.append(asyncio.create_task(_stream(url, token, track, opened, out)))
            await asyncio.sleep(0.05)  # participants do not join in the same millisecond
        await asyncio.gather(*tasks)

    asyncio.run(run())


def _lag(consumer: Consumer, group_partitions: list[TopicPartition]) -> int:
    committed = consumer.committed(group_partitions, timeout=10)
    total = 0
    for tp in committed:
        _low, high = consumer.get_watermark_offsets(tp, timeout=10, cached=False)
        total += max(0, high - max(tp.offset, 0))
    return total


class Sampler:
    """CPU and RSS of named processes (with their children) and of the whole machine."""

    def __init__(self, pids: dict[str, list[int]]) -> None:
        self.procs = {k: [psutil.Process(p) for p in v] for k, v in pids.items()}
        self.rss: dict[str, float] = dict.fromkeys(self.procs, 0.0)
        self.t0 = time.monotonic()
        self.cpu0 = {k: self._cpu(k) for k in self.procs}
        self.machine0 = psutil.cpu_times()

    def _tree(self, name: str) -> list[psutil.Process]:
        out = []
        for p in self.procs[name]:
            with contextlib.suppress(psutil.NoSuchProcess):
                out += [p, *p.children(recursive=True)]
        return out

    def _cpu(self, name: str) -> float:
        total = 0.0
        for p in self._tree(name):
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total

    def sample(self) -> None:
        for name in self.procs:
            rss = 0
            for p in self._tree(name):
                with contextlib.suppress(psutil.NoSuchProcess):
                    rss += p.memory_info().rss
            self.rss[name] = max(self.rss[name], rss / 2**20)

    def finish(self) -> tuple[dict[str, float], dict[str, float], float, float]:
        wall = time.monotonic() - self.t0
        cores = {k: round((self._cpu(k) - self.cpu0[k]) / wall, 2) for k in self.procs}
        after = psutil.cpu_times()
        idle = (after.idle - self.machine0.idle) + (
            getattr(after, "iowait", 0) - getattr(self.machine0, "iowait", 0)
        )
        busy = 100 * (1 - idle / max(1e-9, sum(after) - sum(self.machine0)))
        return cores, {k: round(v) for k, v in self.rss.items()}, round(busy, 1), wall


def _pool(language: str) -> list[Clip]:
    return english_clips() if language == "en" else korean_clips("all")


def _meeting(settings: Any, members: int, language: str) -> tuple[str, list[str]]:
    """A meeting of `members` new members in `language`; its id and their tokens."""
    from sqlalchemy import update

    from vori.db.engine import create_db_engine, session_factory
    from vori.db.tables import Meeting

    meeting_id, tokens = _members(settings, members)
    if language != "en":
        engine = create_db_engine(settings)
        with session_factory(engine)() as session:
            session.execute(
                update(Meeting).where(Meeting.id == meeting_id).values(language=language)
            )
            session.commit()
        engine.dispose()
    return meeting_id, tokens


def _accuracy(
    opened: dict[str, tuple[Track, float]], reader: SegmentReader, language: str
) -> float:
    """WER (CER for Korean) of every opened stream's finals against its clips' texts."""
    by_id = {clip.id: clip for clip in _pool(language)}
    refs: list[str] = []
    hyps: list[str] = []
    for sid, (track, _t0) in opened.items():
        finals = sorted(
            (s for _, s in reader.segments if s.final and s.stream_id == sid),
            key=lambda s: s.start_sample,
        )
        text = TrackText([(s.start_sample, s.end_sample, " " + s.text) for s in finals])
        said = per_clip(track.spans, text) if track.spans else {}
        for clip_id, _start, _end in track.spans:
            refs.append(by_id[clip_id].text)
            hyps.append(said.get(clip_id, "").strip())
    if not refs:
        return float("nan")
    return round(error_rate(refs, hyps, korean=language == "ko"), 3)


def run_step(
    settings: Any,
    ingest_port: int,
    reader: SegmentReader,
    group: str,
    pids: dict[str, list[int]],
    streams: int,
    transcribers: int,
    seconds: float,
    language: str = "en",
) -> Step:
    tracks = continuous_tracks(streams, seconds, _pool(language))
    jobs: list[tuple[str, str, Track]] = []
    meetings = 0
    for first in range(0, streams, PARTICIPANTS):
        members = tracks[first : first + PARTICIPANTS]
        meeting_id, tokens = _meeting(settings, len(members), language)
        meetings += 1
        url = f"ws://127.0.0.1:{ingest_port}/ingest/v1/meetings/{meeting_id}/audio"
        jobs += [(url, token, track) for token, track in zip(tokens, members, strict=True)]
    opened: dict[str, tuple[Track, float]] = {}
    out = {"refused": 0, "failed": 0}
    lag_consumer = Consumer(
        {"bootstrap.servers": settings.kafka.bootstrap_servers, "group.id": group}
    )
    partitions = lag_consumer.list_topics(AUDIO_FRAMES, timeout=30).topics[AUDIO_FRAMES].partitions
    group_partitions = [TopicPartition(AUDIO_FRAMES, p) for p in partitions]
    sampler = Sampler(pids)
    clients = threading.Thread(target=_clients, args=(jobs, opened, out))
    reader.segments.clear()
    clients.start()
    lags: list[int] = []
    audio_s = max(len(t.samples) for t in tracks) / SAMPLE_RATE
    while clients.is_alive():
        reader.poll(1.0)
        sampler.sample()
        lags.append(_lag(lag_consumer, group_partitions))
    lag_end = lags[-1] if lags else 0
    cores, rss, busy, wall = sampler.finish()
    # Finals of the last clips: wait until every stream has one past its last clip, 30 s at most.
    deadline = time.time() + 30
    wanted = {
        sid: t.spans[-1][2] if language == "en" else speech_end(t.samples, *t.spans[-1][1:])
        for sid, (t, _) in opened.items()
        if t.spans
    }
    while time.time() < deadline:
        reader.poll(1.0)
        done = {s.stream_id: s.end_sample for _, s in reader.segments if s.final}
        if all(done.get(k, -1) >= v - SAMPLE_RATE for k, v in wanted.items()):
            break
    lag_consumer.close()
    final_lat: list[float] = []
    partial_lat: list[float] = []
    missing = 0
    for sid, (track, t0) in opened.items():
        mine = [(at, s) for at, s in reader.segments if s.stream_id == sid]
        finals = [(at, s) for at, s in mine if s.final]
        for _clip, start, clip_end in track.spans:
            # The Korean phone clips carry up to 2 s of silence after the speech: their
            # latency runs from the end of speech (as bench/transcriber.py measures it).
            end = clip_end if language == "en" else speech_end(track.samples, start, clip_end)
            cover = [at for at, s in finals if s.start_sample <= end <= s.end_sample + 8000]
            if cover:
                final_lat.append(min(cover) - (t0 + end / SAMPLE_RATE))
            else:
                missing += 1
            shown = [at for at, s in mine if s.start_sample <= start + 8000 <= s.end_sample + 8000]
            if shown:
                partial_lat.append(min(shown) - (t0 + start / SAMPLE_RATE))
    audio_total = audio_s * max(1, len(opened))
    step = Step(
        transcribers=transcribers,
        streams=streams,
        meetings=meetings,
        audio_s=round(audio_s, 1),
        opened=len(opened),
        refused_1013=out["refused"],
        other_failures=out["failed"],
        final_p50_s=_pct(final_lat, 50),
        final_p95_s=_pct(final_lat, 95),
        partial_p50_s=_pct(partial_lat, 50),
        partial_p95_s=_pct(partial_lat, 95),
        clips_without_final=missing,
        lag_max_frames=max(lags, default=0),
        lag_end_frames=lag_end,
        machine_busy_pct=busy,
        load_avg_1m=round(os.getloadavg()[0], 2),
        cpu_cores=cores,
        rss_mb=rss,
        transcriber_cpu_s_per_audio_s=round(cores["transcriber"] * wall / audio_total, 3),
        ingest_cpu_s_per_audio_s=round(cores["stream-ingest"] * wall / audio_total, 4),
        language=language,
        error_metric="cer" if language == "ko" else "wer",
        error_rate=_accuracy(opened, reader, language),
    )
    step.saturated = _saturated(step)
    return step


def _saturated(step: Step) -> str:
    """The first resource out of room, judged from this step's own numbers."""
    cores = psutil.cpu_count() or 1
    busiest = max(step.cpu_cores, key=lambda k: step.cpu_cores[k])
    if step.refused_1013:
        return "admission: transcriber over capacity (1013)"
    if step.machine_busy_pct >= 90:
        return f"machine CPU ({cores} cores {step.machine_busy_pct:.0f}% busy; most: {busiest})"
    if step.lag_end_frames > 10 * step.opened:  # over 1 s of audio per stream waiting
        return "transcriber decode (lag growing)"
    if step.cpu_cores.get("stream-ingest", 0) > 0.9:
        return "stream-ingest CPU (one core)"
    return "none"


def _postmaster(root: Path) -> list[int]:
    """The PostgreSQL server started under `root` (its children are counted with it)."""
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if cmdline and cmdline[0].endswith("postgres") and str(root) in " ".join(cmdline):
            return [proc.pid]
    return []


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=COST,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--steps", type=int, nargs="+", default=[2, 4, 8, 12, 16, 24, 32])
    parser.add_argument("--seconds", type=float, default=30.0, help="Speech per stream per step.")
    parser.add_argument("--transcribers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--budget-s", type=float, default=480.0, help="Stop starting steps after.")
    parser.add_argument(
        "--language",
        choices=["en", "ko"],
        default="en",
        help="en: the English clips, tiny.en; ko: the Korean clips (ko/naver) in Korean "
        "meetings, the multilingual model; accuracy as CER.",
    )
    parser.add_argument(
        "--p95-target-s",
        type=float,
        default=P95_TARGET_S,
        help="The ramp stops at the first step whose final p95 exceeds this.",
    )
    parser.add_argument("--quick", action="store_true", help="2, 4, 8 streams, 1 transcriber, 15 s")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.seconds, args.transcribers, args.budget_s = [2, 4, 8], 15.0, [1], 110.0
    began = time.monotonic()
    load_before = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="vori-load-"))
    settings, env, engines = start_engines(workdir)
    ingest_port = free_port()
    ingest = subprocess.Popen(
        [sys.executable, "-m", "vori", "stream-ingest"],
        cwd=REPO,
        env={**env, "VORI_INGEST__PORT": str(ingest_port), "PYTHONPATH": str(REPO)},
    )
    steps: list[Step] = []
    try:
        _wait_http(f"http://127.0.0.1:{ingest_port}/healthz")
        reader = SegmentReader(settings.kafka)
        for count in args.transcribers:
            group = f"bench-load-{time.monotonic_ns()}"
            start_group_at_end(settings.kafka, group)
            t_env = {
                **env,
                "VORI_DATA_DIR": str(REPO / ".vori"),  # the model cache
                "VORI_TRANSCRIBER__GROUP_ID": group,
                "VORI_TRANSCRIBER__METRICS_PORT": "0",
                # The model the streams need is loaded at start, not by the first stream.
                "VORI_TRANSCRIBER__DEFAULT_LANGUAGE": args.language,
            }
            log = workdir / "transcriber.log"
            procs = [start_transcriber(t_env, log) for _ in range(count)]
            try:
                time.sleep(8 + 2 * count)  # imports, model load, group join
                broker_process = getattr(engines[0], "process", None)
                pids = {
                    "transcriber": [p.pid for p in procs],
                    "stream-ingest": [ingest.pid],
                    "kafka": [broker_process.pid] if broker_process else [],
                    "postgres": _postmaster(workdir / "postgres"),
                }
                pids = {k: v for k, v in pids.items() if v}
                # One unrecorded stream first: the first decodes after a start are slow
                # (measured: the first final after loading ~1 s more) and are not load.
                run_step(settings, ingest_port, reader, group, pids, 1, count, 8.0, args.language)
                for streams in args.steps:
                    left = args.budget_s - (time.monotonic() - began)
                    if left < args.seconds + 20:
                        print(f"budget spent: skipping {streams} streams and beyond", flush=True)
                        break
                    step = run_step(
                        settings,
                        ingest_port,
                        reader,
                        group,
                        pids,
                        streams,
                        count,
                        args.seconds,
                        args.language,
                    )
                    steps.append(step)
                    print(asdict(step), flush=True)
                    if step.final_p95_s > args.p95_target_s or step.refused_1013:
                        break
                    time.sleep(3)  # the last partials and finals drain before the next step
            finally:
                for p in procs:
                    stop(p)
    finally:
        ingest.terminate()
        ingest.wait(30)
        for engine in reversed(engines):
            engine.stop()
    load_after = os.getloadavg()
    _print(steps, load_before, load_after)
    name = "load" + ("-quick" if args.quick else "") + ("-ko" if args.language == "ko" else "")
    out = REPO / "bench" / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "at": datetime.now(UTC).isoformat(),
                "cores": psutil.cpu_count(),
                "load_avg_before": load_before,
                "load_avg_after": load_after,
                "wall_s": round(time.monotonic() - began),
                "args": vars(args),
                "steps": [asdict(s) for s in steps],
            },
            indent=2,
        )
    )
    print(f"wrote {out}")


def _print(steps: list[Step], before: tuple[float, ...], after: tuple[float, ...]) -> None:
    print(f"\nload average before {before}, after {after}; {psutil.cpu_count()} cores")
    head = (
        "| transcribers | streams | opened / 1013 | final p50/p95 s | first partial p50/p95 s "
        "| no final | lag max/end | CPU cores (tr / ingest / kafka / pg) | RSS MB (tr / ingest) "
        "| tr CPU s per audio s | machine busy % | saturated | WER/CER |"
    )
    print(head + "\n|" + "---|" * 13)
    for s in steps:
        c, r = s.cpu_cores, s.rss_mb
        print(
            f"| {s.transcribers} | {s.streams} | {s.opened} / {s.refused_1013} | "
            f"{s.final_p50_s}/{s.final_p95_s} | {s.partial_p50_s}/{s.partial_p95_s} | "
            f"{s.clips_without_final} | {s.lag_max_frames}/{s.lag_end_frames} | "
            f"{c.get('transcriber')} / {c.get('stream-ingest')} / {c.get('kafka', '-')} / "
            f"{c.get('postgres', '-')} | {r.get('transcriber')} / {r.get('stream-ingest')} | "
            f"{s.transcriber_cpu_s_per_audio_s} | {s.machine_busy_pct} | {s.saturated} | "
            f"{s.error_metric} {s.error_rate} |"
        )


if __name__ == "__main__":
    main()
