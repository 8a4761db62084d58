"""Upload end to summary: how long after a recording's last byte its meeting has its final
summary and its cards, through the whole stack (issue 14).

    .venv/bin/python -m bench.upload_summary [--minutes 2 10 30] [--repeats 2] [--quick]

Starts its own Kafka broker and PostgreSQL (bench.ingest's engines) and, as child
processes with the production settings (tests/helpers/stack.py), `vori gateway`, `vori
kanban`, `vori summarizer` (rules and the action-item detector: no LLM is reachable here)
and `vori transcriber-batch` (nice 10, one decode thread, tiny.en). No live transcriber runs,
so the batch lane never has to yield. One user registers; each run creates a meeting and
uploads a FLAC of real English speech (bench.upload's recording: the shared English clips,
1 s apart, repeated to the length) through the gateway's resumable upload API with
`vori upload`'s client, asking for the meeting to end once it is transcribed, then
polls the REST API as the web app would. Per run, from the upload's end (the 204 that
acknowledged the last byte):

- `upload s`: the HTTP upload itself (declare, then every part);
- `transcribed`: to `recording_transcribed` (the batch worker's report on meeting.events);
- `summary`: to the final summary visible at `GET /api/v1/meetings/{id}/summary` (the
  gateway stored it); `published` (in the JSON) is the summarizer's `created_at`;
- `cards`: to the last of the final summary's action items on the board
  (`GET /api/v1/cards?meeting_id=`); none when the speech holds no commitment;
- `summary share`: `recording_transcribed` to the final summary visible (the meeting's end,
  the summarizer's 2 s grace for late segments, the summary, Kafka and the gateway).

A 30 s warm-up upload first loads the models (Whisper, the detector's embedder), as any
upload after the first would find them. Prints a table per run and the medians per length,
writes bench/results/upload-summary[-quick].json, and never fails: a run that breaks is
reported as such. The machine is shared: the load average before and after is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
from confluent_kafka.admin import AdminClient

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.ingest import _engines  # noqa: E402
from bench.load import Sampler  # noqa: E402
from bench.upload import _recording  # noqa: E402
from tests.e2e.api import PASSWORD, Account, Api  # noqa: E402
from tests.helpers.stack import VORI_TOPICS, Stack  # noqa: E402
from tests.helpers.summarizer import read_topic  # noqa: E402
from vori.cli.upload import RecordingUpload  # noqa: E402
from vori.events import MEETING_EVENTS, MEETING_SUMMARIES, MeetingEvent, MeetingSummary  # noqa: E402
from vori.settings import Settings  # noqa: E402

SERVICES = ("gateway", "kanban", "summarizer", "transcriber-batch")
SUMMARY_WAIT_S = 180.0  # after the upload is transcribed
CARDS_WAIT_S = 60.0  # after the final summary


@dataclass
class Run:
    """One upload, from its first byte to its meeting's cards."""

    label: str
    audio_s: float
    size_bytes: int
    meeting_id: str = ""
    upload_id: str = ""
    upload_s: float | None = None  # declare + every part, to the last byte acknowledged
    to_transcribed_s: float | None = None  # upload end -> recording_transcribed
    to_ended_s: float | None = None  # upload end -> the gateway's `ended`
    to_summary_published_s: float | None = None  # upload end -> final summary's created_at
    to_summary_s: float | None = None  # upload end -> final summary visible in the API
    to_cards_s: float | None = None  # upload end -> the last card visible
    summary_share_s: float | None = None  # recording_transcribed -> final summary visible
    audio_s_per_s: float | None = None  # transcription speed after the upload's end
    rolling_summaries: int | None = None
    action_items: int | None = None  # open ones in the final summary
    cards: int | None = None  # on the board (not archived)
    summary_source: str | None = None
    cores: dict[str, float] = field(default_factory=dict)  # per service, upload start -> end
    machine_busy_pct: float | None = None
    load_avg_before: tuple[float, ...] = ()
    load_avg_after: tuple[float, ...] = ()
    outcome: str = "not run"


class LastByte:
    """Notes when the gateway acknowledged the last byte (the 204 whose offset is the size)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.at: float | None = None

    def __call__(self, response: httpx.Response) -> None:
        if (
            response.request.method == "PATCH"
            and response.status_code == 204
            and response.headers.get("Upload-Offset") == str(self.size)
            and self.at is None
        ):
            self.at = time.time()


def _wait_for_leaders(settings: Settings, timeout_s: float = 60) -> None:
    """Until every partition of a fresh broker's topics has a leader (the stack moves its
    consumer groups to the topics' ends first, which needs one)."""
    admin = AdminClient({"bootstrap.servers": settings.kafka.bootstrap_servers})
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        topics = admin.list_topics(timeout=10).topics
        if all(
            name in topics and all(p.leader >= 0 for p in topics[name].partitions.values())
            for name in VORI_TOPICS
        ):
            return
        time.sleep(0.5)


def _log_in(api: Api, account: Account) -> str:
    """A fresh access token (they live 15 minutes; a long run outlives one)."""
    answer = api.http.post(
        "/api/v1/auth/token", data={"username": account.email, "password": PASSWORD}
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def _get(http: httpx.Client, path: str) -> Any:
    answer = http.get(path)
    answer.raise_for_status()
    return answer.json()


def _epoch(at: datetime) -> float:
    return at.timestamp()


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _follow(
    http: httpx.Client, run: Run, upload: RecordingUpload, transcribe_wait_s: float
) -> tuple[float | None, dict[str, Any] | None]:
    """Poll the upload (each second) until transcribed, then the summary (every 0.1 s)
    until it is final; returns when the final summary was first seen, and it."""
    deadline = time.monotonic() + transcribe_wait_s
    transcribed = False
    while time.monotonic() < deadline:
        if not transcribed:
            state = upload.state(run.upload_id)
            if state.status == "failed":
                run.outcome = f"upload failed: {state.error}"
                return None, None
            if state.status == "transcribed":
                transcribed = True
                deadline = time.monotonic() + SUMMARY_WAIT_S
        summary = _get(http, f"/api/v1/meetings/{run.meeting_id}/summary")
        if summary.get("available") and summary.get("kind") == "final":
            return time.time(), summary
        time.sleep(0.1 if transcribed else 1.0)
    run.outcome = (
        f"no final summary {SUMMARY_WAIT_S:.0f} s after the upload was transcribed"
        if transcribed
        else f"not transcribed within {transcribe_wait_s:.0f} s"
    )
    return None, None


def _cards(http: httpx.Client, meeting_id: str, expected: int) -> tuple[float | None, list[Any]]:
    """Wait for the final summary's items as cards; when the last one was first seen."""
    deadline = time.monotonic() + CARDS_WAIT_S
    cards: list[Any] = []
    while time.monotonic() < deadline:
        cards = _get(http, f"/api/v1/cards?meeting_id={meeting_id}")
        if len(cards) >= expected:
            return time.time(), cards
        time.sleep(0.1)
    return None, cards


def _one_run(
    settings: Settings,
    api: Api,
    owner: Account,
    stack: Stack,
    path: Path,
    audio_s: float,
    label: str,
) -> Run:
    """Upload one recording into a new meeting and time everything after its last byte."""
    size = path.stat().st_size
    run = Run(label=label, audio_s=round(audio_s, 1), size_bytes=size)
    run.load_avg_before = tuple(round(x, 2) for x in os.getloadavg())
    last_byte = LastByte(size)
    http = httpx.Client(
        base_url=api.base_url,
        headers={"Authorization": f"Bearer {_log_in(api, owner)}"},
        timeout=120,
        event_hooks={"response": [last_byte]},
    )
    try:
        created = http.post(
            "/api/v1/meetings", json={"title": f"Bench upload {label}", "language": "en"}
        )
        created.raise_for_status()
        run.meeting_id = created.json()["id"]
        pids = {name: [stack.processes[name].process.pid] for name in SERVICES}
        sampler = Sampler(pids)
        upload = RecordingUpload(http, run.meeting_id, path)
        started = time.time()
        state = upload.begin(end=True)
        run.upload_id = state.upload_id
        upload.send(state)
        if last_byte.at is None:
            run.outcome = "the last byte was never acknowledged"
            return run
        upload_end = last_byte.at
        run.upload_s = _rounded(upload_end - started)
        seen, summary = _follow(http, run, upload, transcribe_wait_s=120 + audio_s)
        if seen is not None and summary is not None:
            run.to_summary_s = _rounded(seen - upload_end)
            # Cancelled items stay in the summary; their cards, if any, are archived.
            run.action_items = sum(i["status"] == "open" for i in summary["action_items"])
            run.summary_source = summary.get("source")
            run.outcome = "final summary"
            if run.action_items:
                cards_at, cards = _cards(http, run.meeting_id, run.action_items)
                run.cards = len(cards)
                run.to_cards_s = _rounded(cards_at - upload_end) if cards_at else None
                if cards_at is None:
                    run.outcome = (
                        f"{len(cards)} of {run.action_items} cards after {CARDS_WAIT_S:.0f} s"
                    )
            else:
                run.cards = len(_get(http, f"/api/v1/cards?meeting_id={run.meeting_id}"))
        cores, _rss, busy, _wall = sampler.finish()
        run.cores, run.machine_busy_pct = cores, busy
        _from_kafka(settings, run, upload_end)
        if run.to_transcribed_s:
            run.audio_s_per_s = round(audio_s / run.to_transcribed_s, 2)
    finally:
        http.close()
        run.load_avg_after = tuple(round(x, 2) for x in os.getloadavg())
    return run


def _from_kafka(settings: Settings, run: Run, upload_end: float) -> None:
    """The times the services stamped on their events: the batch worker's report, the
    gateway's `ended`, the summarizer's final summary."""
    for event in read_topic(settings, MEETING_EVENTS, run.meeting_id):
        if not isinstance(event, MeetingEvent):
            continue
        if event.type == "recording_transcribed" and event.upload_id == run.upload_id:
            run.to_transcribed_s = _rounded(_epoch(event.at) - upload_end)
        elif event.type == "ended" and run.to_ended_s is None:
            run.to_ended_s = _rounded(_epoch(event.at) - upload_end)
    summaries = [
        s
        for s in read_topic(settings, MEETING_SUMMARIES, run.meeting_id)
        if isinstance(s, MeetingSummary)
    ]
    run.rolling_summaries = sum(s.kind == "rolling" for s in summaries)
    finals = [s for s in summaries if s.kind == "final"]
    if finals:
        run.to_summary_published_s = _rounded(_epoch(finals[0].created_at) - upload_end)
    if run.to_transcribed_s is not None and run.to_summary_s is not None:
        run.summary_share_s = _rounded(run.to_summary_s - run.to_transcribed_s)


MEDIAN_FIELDS = (
    "upload_s",
    "to_transcribed_s",
    "to_ended_s",
    "to_summary_published_s",
    "to_summary_s",
    "to_cards_s",
    "summary_share_s",
    "audio_s_per_s",
)


def _medians(runs: list[Run]) -> dict[str, dict[str, Any]]:
    """Per recording length, the median of each time over the runs that got a summary."""
    out: dict[str, dict[str, Any]] = {}
    for label in dict.fromkeys(r.label for r in runs if r.label != "warm-up"):
        done = [r for r in runs if r.label == label and r.to_summary_s is not None]
        row: dict[str, Any] = {"runs": len([r for r in runs if r.label == label]), "ok": len(done)}
        for name in MEDIAN_FIELDS:
            values = [getattr(r, name) for r in done if getattr(r, name) is not None]
            row[name] = round(statistics.median(values), 2) if values else None
        row["cards"] = sorted({r.cards for r in done if r.cards is not None})
        out[label] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--minutes", type=float, nargs="+", default=[2.0, 10.0, 30.0], help="Recording lengths."
    )
    parser.add_argument("--repeats", type=int, default=2, help="Runs per length (medians).")
    parser.add_argument("--quick", action="store_true", help="one run of 1 minute")
    args = parser.parse_args()
    if args.quick:
        args.minutes, args.repeats = [1.0], 1
    began = time.monotonic()
    load_before = tuple(round(x, 2) for x in os.getloadavg())
    workdir = Path(tempfile.mkdtemp(prefix="vori-upload-summary-bench-"))
    runs: list[Run] = []
    errors: list[str] = []
    settings, _env, engines = _engines(workdir)
    stack = Stack(settings, workdir / "stack", uuid.uuid4().hex[:8])
    try:
        _wait_for_leaders(settings)
        stack.start(SERVICES, timeout_s=240)
        api = Api(stack.gateway_url)
        owner = api.register("Bench")
        plan = [(30.0, "warm-up")] + [
            (minutes * 60, f"{minutes:g} min")
            for minutes in args.minutes
            for _ in range(args.repeats)
        ]
        recordings: dict[float, tuple[Path, float]] = {}
        for seconds, label in plan:
            if seconds not in recordings:
                path = workdir / f"speech-{seconds:g}s.flac"
                recordings[seconds] = (path, _recording(path, seconds))
            path, audio_s = recordings[seconds]
            try:
                run = _one_run(settings, api, owner, stack, path, audio_s, label)
            except Exception as exc:  # a benchmark reports what broke; it never fails
                run = Run(label=label, audio_s=round(audio_s, 1), size_bytes=path.stat().st_size)
                run.outcome = f"broke: {exc!r}"
                errors.append(f"{label}: {exc!r}\n{stack.tail(lines=15)}")
            runs.append(run)
            print(json.dumps(asdict(run)), flush=True)
    except Exception as exc:  # the stack did not start
        errors.append(f"{exc!r}")
        print(f"benchmark failed: {exc!r}", file=sys.stderr)
    finally:
        stack.stop()
        for engine in reversed(engines):
            engine.stop()
    load_after = tuple(round(x, 2) for x in os.getloadavg())
    medians = _medians(runs)
    _print(runs, medians, load_before, load_after, errors)
    out = REPO / "bench" / "results" / f"upload-summary{'-quick' if args.quick else ''}.json"
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
                "medians": medians,
                "runs": [asdict(r) for r in runs],
                "errors": errors,
            },
            indent=2,
        )
    )
    print(f"wrote {out}")


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def _print(
    runs: list[Run],
    medians: dict[str, dict[str, Any]],
    before: tuple[float, ...],
    after: tuple[float, ...],
    errors: list[str],
) -> None:
    print(f"\nload average before {before}, after {after}; {psutil.cpu_count()} cores")
    print(
        "\n| recording | audio s | upload s | -> transcribed s | -> final summary s | -> cards s "
        "| summary share s | audio s/s | items / cards | batch cores | load 1 min | outcome |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        print(
            f"| {r.label} | {r.audio_s} | {_cell(r.upload_s)} | {_cell(r.to_transcribed_s)} "
            f"| {_cell(r.to_summary_s)} | {_cell(r.to_cards_s)} | {_cell(r.summary_share_s)} "
            f"| {_cell(r.audio_s_per_s)} | {_cell(r.action_items)} / {_cell(r.cards)} "
            f"| {_cell(r.cores.get('transcriber-batch'))} "
            f"| {_cell(r.load_avg_before[0] if r.load_avg_before else None)} -> "
            f"{_cell(r.load_avg_after[0] if r.load_avg_after else None)} | {r.outcome} |"
        )
    print(
        "\n| recording (median) | runs ok | upload s | -> transcribed s | -> final summary s "
        "| -> cards s | summary share s | audio s/s | cards |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for label, m in medians.items():
        print(
            f"| {label} | {m['ok']} of {m['runs']} | {_cell(m['upload_s'])} "
            f"| {_cell(m['to_transcribed_s'])} | {_cell(m['to_summary_s'])} "
            f"| {_cell(m['to_cards_s'])} | {_cell(m['summary_share_s'])} "
            f"| {_cell(m['audio_s_per_s'])} | {m['cards']} |"
        )
    for error in errors:
        print(f"error: {error}")


if __name__ == "__main__":
    main()
