"""Benchmark of the batch analytics job at 1k, 10k (and 100k) synthetic meetings.

For each size it starts from an empty PostgreSQL of its own (a throwaway LocalPostgres),
writes that many synthetic meetings with COPY (3-8 speakers, 20-60 minutes of turns at
110-170 words per minute, ~15 % of turns starting before the previous one ended, short
backchannels, a summary with decisions and action items, cards with their history), then
runs `analytics_spark.batch.run_batch` in a child process on `local[2]` and samples the
resident memory of that process tree (Python driver + JVM + Python workers). A second run
with nothing changed shows the incremental path. Prints a table and writes JSON.

    .venv/bin/python -m bench.analytics --sizes 1000 10000

Targets (issue 11): 10k meetings (several million segments) in <= 5 min on local[2] with
<= 4 GB driver memory; time growing no worse than linearly with the number of meetings.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from vori.audio import SAMPLE_RATE

RESULTS = Path(__file__).parent / "results" / "analytics.json"
START = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)  # a Monday; meetings spread over 26 weeks
TOPICS = {
    "budget": "budget invoice finance spending forecast revenue cost quarter",
    "release": "release deployment server rollback cluster outage staging pipeline",
    "hiring": "hiring interview candidate onboarding salary recruiter offer role",
    "design": "design mockup prototype usability layout screen feedback colour",
    "채용": "채용 면접 지원자 인사팀 연봉 온보딩 신입 경력",
    "배포": "배포 서버 장애 롤백 클러스터 점검 스테이징 모니터링",
}
GLUE_EN = ["so", "we", "need", "to", "the", "and", "then", "I", "think", "that", "is", "about"]
GLUE_KO = ["을 논의했습니다", "는 중요합니다", "를 검토합니다", "에 대해 이야기합니다"]


def _utterance(rng: random.Random, topic: str, words: int, korean: bool) -> str:
    vocab = TOPICS[topic].split()
    if korean:
        return " ".join(rng.choice(vocab) + rng.choice(GLUE_KO) for _ in range(max(1, words // 2)))
    return " ".join(
        rng.choice(vocab) if rng.random() < 0.3 else rng.choice(GLUE_EN) for _ in range(words)
    )


def generate(settings: Any, meetings: int, seed: int = 11) -> dict[str, int]:
    """Write `meetings` synthetic meetings with their streams, segments, summaries, cards."""
    import psycopg

    from vori.db.migrate import upgrade

    upgrade(settings)
    rng = random.Random(seed)
    url = settings.sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://")
    counts = {"meetings": meetings, "segments": 0, "cards": 0}
    n_boards = max(1, meetings // 100)
    users = [f"u{i}" for i in range(max(20, meetings // 20))]
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY users (id, email, display_name, password_hash) FROM STDIN") as cp:
            for u in users:
                cp.write_row((u, f"{u}@bench.test", f"Person {u}", "x"))
        with cur.copy("COPY boards (id, name, owner_id) FROM STDIN") as cp:
            for b in range(n_boards):
                cp.write_row((f"b{b}", f"team {b}", users[b % len(users)]))
        with cur.copy(
            "COPY board_columns (id, board_id, name, position, version) FROM STDIN"
        ) as cp:
            for b in range(n_boards):
                for i, name in enumerate(("To do", "In progress", "Done")):
                    cp.write_row((f"b{b}-{i}", f"b{b}", name, i, 1))
        plans = []
        for m in range(meetings):
            team = rng.sample(users, rng.randint(3, 8))
            korean = rng.random() < 0.15
            plans.append(
                {
                    "id": f"m{m}",
                    "board": f"b{m % n_boards}",
                    "created": START + timedelta(days=rng.uniform(0, 182)),
                    "team": team,
                    "korean": korean,
                    "topic": rng.choice(list(TOPICS)[4:] if korean else list(TOPICS)[:4]),
                    "duration": rng.uniform(20, 60) * 60,
                    "joined": {p: rng.uniform(0, 90) for p in team},
                }
            )
        meeting_rows = [
            (p["id"], p["id"], "ko" if p["korean"] else "en", p["team"][0], p["board"], "UTC",
             p["created"], p["created"] + timedelta(seconds=p["duration"]))
            for p in plans
        ]  # fmt: skip
        stream_rows = [
            (f"{p['id']}:{u}", p["id"], u, f"Person {u}", p["created"] + timedelta(seconds=j))
            for p in plans
            for u, j in p["joined"].items()
        ]
        for target, rows in (
            ("meetings (id, title, language, owner_id, board_id, time_zone, created_at, ended_at)", meeting_rows),  # noqa: E501
            ("meeting_streams (stream_id, meeting_id, participant_id, participant_name, first_joined_at)", stream_rows),  # noqa: E501
        ):  # fmt: skip
            with cur.copy(f"COPY {target} FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
        summary_rows, card_rows, history_rows = [], [], []
        with cur.copy(
            'COPY transcript_segments (id, meeting_id, stream_id, participant_id, speaker, start, "end",'  # noqa: E501
            " start_sample, end_sample, text, words) FROM STDIN"
        ) as cp:
            for p in plans:
                mid, board, team, joined = p["id"], p["board"], p["team"], p["joined"]
                wpm = {u: rng.uniform(110, 170) for u in team}
                weight = [rng.paretovariate(1.5) for _ in team]
                t, last = rng.uniform(0, 10), None
                while t < p["duration"]:
                    who = rng.choices(team, weight)[0]
                    if who == last:
                        who = rng.choice(team)
                    length = rng.uniform(0.6, 2.0) if rng.random() < 0.2 else rng.uniform(2, 20)
                    words = max(1, round(length * wpm[who] / 60))
                    start = max(
                        joined[who], t - (rng.uniform(0.2, 2.0) if rng.random() < 0.15 else 0)
                    )
                    s0, s1 = start - joined[who], start - joined[who] + length
                    cp.write_row(
                        (f"{mid}:{counts['segments']}", mid, f"{mid}:{who}", who, f"Person {who}",
                         s0, s1, int(s0 * SAMPLE_RATE), int(s1 * SAMPLE_RATE),
                         _utterance(rng, p["topic"], words, p["korean"]), "[]")
                    )  # fmt: skip
                    counts["segments"] += 1
                    t, last = start + length + rng.uniform(0.1, 1.5), who
                ended = p["created"] + timedelta(seconds=p["duration"])
                items = rng.randint(0, 4)
                summary_rows.append(
                    (
                        mid,
                        "final",
                        1,
                        "rules",
                        "en",
                        "",
                        "[]",
                        json.dumps(["d"] * rng.randint(0, 3)),
                        "[]",
                        json.dumps([{"task": "t"}] * items),
                        ended,
                    )
                )
                for i in range(items):
                    cid = f"c{mid}-{i}"
                    due = (
                        (ended + timedelta(days=rng.randint(2, 14))).date()
                        if rng.random() < 0.6
                        else None
                    )
                    done = (
                        ended + timedelta(hours=rng.uniform(4, 300)) if rng.random() < 0.7 else None
                    )
                    card_rows.append(
                        (
                            cid,
                            board,
                            f"{board}-2" if done else f"{board}-0",
                            f"task {i}",
                            "",
                            0,
                            "rules",
                            mid,
                            ended,
                            ended,
                            due,
                            "[]",
                            "[]",
                            "{}",
                            1,
                            False,
                        )
                    )
                    history_rows.append(
                        (
                            cid,
                            board,
                            "created",
                            1,
                            "rules",
                            "{}",
                            json.dumps({"column_id": f"{board}-0"}),
                            "{}",
                            ended,
                        )
                    )
                    if done:
                        history_rows.append(
                            (
                                cid,
                                board,
                                "moved",
                                2,
                                "human",
                                "{}",
                                json.dumps({"column_id": f"{board}-2", "column": "Done"}),
                                "{}",
                                done,
                            )
                        )
                    counts["cards"] += 1  # fmt: skip
        copies: list[tuple[str, list[tuple[Any, ...]]]] = [
            ("meeting_summaries (meeting_id, kind, revision, source, language, overview, key_points, decisions, open_questions, action_items, created_at)", summary_rows),  # noqa: E501
            ("cards (id, board_id, column_id, title, description, position, source, meeting_id, created_at, updated_at, due_date, evidence, human_fields, declined, version, archived)", card_rows),  # noqa: E501
            ("card_history (card_id, board_id, change, version, source, before, after, declined, at)", history_rows),  # noqa: E501
        ]  # fmt: skip
        for target, rows in copies:
            with cur.copy(f"COPY {target} FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
        conn.commit()
    return counts


def job(database_url: str, data_dir: str, driver_memory: str) -> None:
    """Child process: one full run, then one run with nothing changed; JSON on stdout."""
    from analytics_spark.batch import run_batch
    from analytics_spark.session import spark_session
    from vori.settings import load_settings

    settings = load_settings(
        data_dir=Path(data_dir),
        database_url=database_url,
        analytics={"spark_master": "local[2]", "driver_memory": driver_memory},
    )
    began = time.perf_counter()
    spark = spark_session(settings, "vori-analytics-bench")
    jvm = time.perf_counter() - began
    first = run_batch(settings, spark=spark)
    again = run_batch(settings, spark=spark)
    spark.stop()
    out = {
        "jvm_start_s": jvm,
        "first": {**first.__dict__, "total_s": sum(first.timings.values()) + jvm},
        "rerun_unchanged": {**again.__dict__, "total_s": sum(again.timings.values())},
    }
    print("BENCH-JSON " + json.dumps(out, default=str))


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total


def measure(settings: Any, driver_memory: str) -> dict[str, Any]:
    """Run `job` in a child process and sample its tree's memory every 0.2 s."""
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "VORI_LOG_LEVEL": "WARNING"}
    args = [sys.executable, "-m", "bench.analytics", "--job", settings.sqlalchemy_url]
    args += ["--data-dir", str(settings.data_dir), "--driver-memory", driver_memory]
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(child.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    began = time.perf_counter()
    stdout, _ = child.communicate()
    wall = time.perf_counter() - began
    done.set()
    sampler.join()
    line = next(x for x in stdout.decode().splitlines() if x.startswith("BENCH-JSON "))
    return {**json.loads(line[len("BENCH-JSON ") :]), "wall_s": wall, "peak_rss_mb": peak / 2**20}


def bench_size(meetings: int, workdir: Path, driver_memory: str) -> dict[str, Any]:
    from tests.helpers.ports import free_port
    from vori.local.postgres import LocalPostgres
    from vori.settings import load_settings

    postgres = LocalPostgres(workdir / f"pg-{meetings}", port=free_port(), durable=False)
    postgres.start(timeout_s=60)
    try:
        settings = load_settings(data_dir=workdir / "data", database_url=postgres.url)
        began = time.perf_counter()
        counts = generate(settings, meetings)
        generated = time.perf_counter() - began
        result = measure(settings, driver_memory)
        return {**counts, "generate_s": generated, **result}
    finally:
        postgres.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--job", metavar="DATABASE_URL")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.job:
        job(args.job, args.data_dir, args.driver_memory)
        return
    runs = []
    with tempfile.TemporaryDirectory(prefix="vori-bench-analytics-") as tmp:
        for size in args.sizes:
            runs.append(bench_size(size, Path(tmp), args.driver_memory))
            print_table(runs)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "master": "local[2]",
        "driver_memory": args.driver_memory,
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"written {args.out}")


def print_table(runs: list[dict[str, Any]]) -> None:
    head = (
        f"{'meetings':>9} {'segments':>10} {'total s':>8} {'jvm %':>6} {'read %':>7} "
        f"{'compute %':>9} {'write %':>8} {'ms/meeting':>10} {'peak MB':>8} {'rerun s':>8}"
    )
    print(head)
    for r in runs:
        first, t = r["first"], r["first"]["timings"]
        total = first["total_s"]
        compute = sum(
            t.get(k, 0.0) for k in ("plan", "compute_meetings", "compute_weeks", "compute_topics")
        )
        print(
            f"{r['meetings']:>9} {r['segments']:>10} {total:>8.1f} {100 * r['jvm_start_s'] / total:>6.1f} "  # noqa: E501
            f"{100 * t.get('jdbc_read', 0) / total:>7.1f} {100 * compute / total:>9.1f} "
            f"{100 * t.get('write', 0) / total:>8.1f} {1000 * total / r['meetings']:>10.1f} "
            f"{r['peak_rss_mb']:>8.0f} {r['rerun_unchanged']['total_s']:>8.1f}"
        )  # fmt: skip


if __name__ == "__main__":
    main()
