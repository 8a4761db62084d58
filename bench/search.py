"""Search latency over ~1,000 meetings: `GET /api/v1/search`'s query on a real PostgreSQL.

    .venv/bin/python -m bench.search [--meetings 1000] [--turns 60] [--repeat 5]

The meetings are synthetic in number only: their text is real speech. English meetings are
windows of consecutive turns of the AMI and ICSI meetings in ../shared/data/meetings;
Korean ones (every tenth) are windows of the Korean meetings in bench/data/meetings_ko and
the NAVER speech references in ../shared/data/speech/ko. One user is a member of all of
them (the worst case for the membership filter); each has a summary and three cards.

Queries are drawn from the same text: rare and common English words, two- and three-word
phrases, Korean words and substrings inside words. Each is timed through
`gateway.search.search` (the route's whole work: SQL, ranking, snippets) on a warm server,
so the HTTP layer (about a millisecond) is not in the figures. Prints a table and writes
bench/results/search.json.

`--semantic` gives every segment of four words or more a vector (real e5 vectors of
meeting text, reused in turn: scoring time does not depend on which) and times the search
with gateway/semantic.py's index, which the query classes reach only when full text fills
no page: annotators' sentences (AMI decisions) are added for that. Writes
bench/results/search-semantic.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import socket
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from bench.meeting_corpus import find_meetings_dir, load
from gateway.search import search
from vori.audio import SAMPLE_RATE
from vori.db.engine import create_db_engine, session_factory
from vori.db.migrate import upgrade
from vori.db.tables import (
    Board,
    BoardColumn,
    Card,
    Meeting,
    MeetingMember,
    MeetingSummaryRow,
    SegmentEmbedding,
    TranscriptSegmentRow,
    User,
)
from vori.events import segment_id_for
from vori.local.postgres import LocalPostgres
from vori.settings import Settings

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "search.json"
KO_MEETINGS = REPO / "bench" / "data" / "meetings_ko"
USER = "usr_bench"
_WORD = re.compile(r"[a-z]{4,}")
_HANGUL_WORD = re.compile(r"[\uac00-\ud7a3]{3,}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def postgres(folder: Path) -> Iterator[Settings]:
    """A throwaway PostgreSQL server with vori's schema, for the length of the block."""
    server = LocalPostgres(folder / "pg", port=_free_port(), durable=False)
    server.start(timeout_s=60)
    try:
        settings = Settings(database_url=server.url)
        upgrade(settings)
        yield settings
    finally:
        server.stop()


def create_owner(session: Session) -> None:
    """The one user every bench meeting belongs to, and the board their cards go on."""
    session.execute(
        insert(User),
        [{"id": USER, "email": "bench@example.com", "display_name": "Bench", "password_hash": "x"}],
    )
    session.execute(insert(Board), [{"id": "brd_bench", "name": "Bench", "owner_id": USER}])
    session.execute(
        insert(BoardColumn),
        [{"id": "col_bench", "board_id": "brd_bench", "name": "To do", "position": 0}],
    )


def segment_rows(
    meeting_id: str, language: str, turns: list[tuple[str, str, float]]
) -> list[dict[str, Any]]:
    """Final-segment rows of (speaker, text, start) turns: one stream per speaker."""
    rows: list[dict[str, Any]] = []
    taken: set[str] = set()
    for speaker, turn, start in turns:
        stream = f"{meeting_id}:spk{abs(hash(speaker)) % 10}:mic"
        sample = round(start * SAMPLE_RATE)
        while segment_id_for(stream, sample) in taken:  # two turns at one instant (ICSI)
            sample += 1
        taken.add(segment_id_for(stream, sample))
        rows.append(
            {
                "id": segment_id_for(stream, sample),
                "meeting_id": meeting_id,
                "stream_id": stream,
                "participant_id": None,
                "speaker": speaker,
                "start": sample / SAMPLE_RATE,
                "end": sample / SAMPLE_RATE + 3.5,
                "start_sample": sample,
                "end_sample": sample + round(3.5 * SAMPLE_RATE),
                "text": turn,
                "words": [],
                "language": language,
            }
        )
    return rows


def insert_meeting(
    session: Session,
    meeting_id: str,
    title: str,
    language: str,
    created: datetime,
    segments: list[dict[str, Any]],
    member: str = USER,
) -> None:
    """An ended meeting of the bench user, `member` its one member, with its final segments."""
    session.execute(
        insert(Meeting),
        [
            {
                "id": meeting_id,
                "title": title[:300],
                "language": language,
                "owner_id": USER,
                "board_id": "brd_bench",
                "time_zone": "UTC",
                "created_at": created,
                "ended_at": created + timedelta(minutes=50),
            }
        ],
    )
    session.execute(
        insert(MeetingMember), [{"meeting_id": meeting_id, "user_id": member, "role": "owner"}]
    )
    if segments:
        session.execute(insert(TranscriptSegmentRow), segments)


def _texts() -> tuple[list[list[tuple[str, str]]], list[list[tuple[str, str]]]]:
    """Real turns (speaker, text): English meetings and Korean ones."""
    root = find_meetings_dir()
    english = [
        [(t.speaker, t.text) for t in m.turns if t.text.strip()]
        for corpus in ("ami", "icsi")
        for m in load(corpus, root=root)
    ]
    korean = [
        [(t.speaker, t.text) for t in m.turns if t.text.strip()] for m in load(str(KO_MEETINGS))
    ]
    naver = root.parent / "speech" / "ko" / "naver" / "manifest.jsonl"
    if naver.exists():
        lines = [json.loads(line) for line in naver.read_text().splitlines() if line.strip()]
        korean.append([(f"화자{i % 7}", line["text"]) for i, line in enumerate(lines)])
    return english, korean


def _window(turns: list[tuple[str, str]], size: int, rng: random.Random) -> list[tuple[str, str]]:
    if len(turns) <= size:
        return turns
    start = rng.randrange(len(turns) - size)
    return turns[start : start + size]


def populate(settings: Settings, meetings: int, turns: int, seed: int = 7) -> dict[str, Any]:
    """Write users, meetings, segments, summaries and cards; return what queries can use."""
    rng = random.Random(seed)
    english, korean = _texts()
    engine = create_db_engine(settings)
    sessions = session_factory(engine)
    created = datetime(2026, 1, 5, 9, tzinfo=UTC)
    said: list[str] = []
    counts = Counter[str]()
    with sessions.begin() as session:
        create_owner(session)
    for number in range(meetings):
        ko = number % 10 == 9
        source = rng.choice(korean if ko else english)
        window = _window(source, turns, rng)
        meeting_id = f"mtg_bench_{number:05d}"
        title = " ".join(window[0][1].split()[:6]) or "Meeting"
        segments = segment_rows(
            meeting_id,
            "ko" if ko else "en",
            [(speaker, turn, 4.0 * index) for index, (speaker, turn) in enumerate(window)],
        )
        for _speaker, turn in window:
            said.append(turn)
            counts.update(_WORD.findall(turn.lower()) if not ko else _HANGUL_WORD.findall(turn))
        with sessions.begin() as session:
            insert_meeting(
                session,
                meeting_id,
                title,
                "ko" if ko else "en",
                created + timedelta(hours=number),
                segments,
            )
            picks = rng.sample(window, min(6, len(window)))
            session.execute(
                insert(MeetingSummaryRow),
                [
                    {
                        "meeting_id": meeting_id,
                        "kind": "final",
                        "revision": 1,
                        "source": "rules",
                        "language": "ko" if ko else "en",
                        "overview": " ".join(t for _s, t in picks[:2])[:600],
                        "key_points": [t for _s, t in picks[2:4]],
                        "decisions": [t for _s, t in picks[4:5]],
                        "open_questions": [],
                        "action_items": [],
                        "created_at": created + timedelta(hours=number, minutes=51),
                    }
                ],
            )
            session.execute(
                insert(Card),
                [
                    {
                        "id": f"card_{meeting_id}_{i}",
                        "board_id": "brd_bench",
                        "column_id": "col_bench",
                        "title": " ".join(turn.split()[:10])[:300],
                        "description": turn[:500],
                        "position": i,
                        "source": "rules",
                        "meeting_id": meeting_id,
                        "evidence": [],
                        "human_fields": [],
                        "declined": {},
                    }
                    for i, (_s, turn) in enumerate(rng.sample(window, min(3, len(window))))
                ],
            )
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
        segments_total = conn.execute(text("SELECT count(*) FROM transcript_segments")).scalar()
    engine.dispose()
    return {"said": said, "counts": counts, "segments": int(segments_total or 0)}


def stop_words(settings: Settings, words: list[str]) -> set[str]:
    """Those of the words that PostgreSQL's English configuration drops (no lexeme)."""
    engine = create_db_engine(settings)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT w FROM unnest(CAST(:words AS text[])) AS w"
                    " WHERE to_tsvector('english', w) = ''"
                ),
                {"words": words},
            )
            return {row[0] for row in rows}
    finally:
        engine.dispose()


def queries(
    said: list[str], counts: Counter[str], stop: set[str], rng: random.Random
) -> dict[str, list[str]]:
    """Query classes drawn from the indexed text itself."""
    frequent = [w for w, _n in counts.most_common() if w.isascii()]
    english_words = [w for w in frequent if w not in stop]
    rare = english_words[len(english_words) // 2 :]
    korean_words = [w for w, _n in counts.most_common() if not w.isascii()]
    english_turns = [t for t in said if t.isascii() and len(t.split()) >= 6]
    korean_turns = [t for t in said if _HANGUL_WORD.search(t)]

    def phrase(turn: str, n: int) -> str:
        words = turn.split()
        start = rng.randrange(len(words) - n)
        return " ".join(words[start : start + n])

    return {
        "en common word": english_words[:20],
        "en stop word": [w for w in frequent if w in stop][:10],
        "en rare word": rare[:: max(1, len(rare) // 20)][:20],
        "en 2-word phrase": [phrase(rng.choice(english_turns), 2) for _ in range(20)],
        "en 3-word phrase": [phrase(rng.choice(english_turns), 3) for _ in range(20)],
        "ko word": korean_words[:20],
        "ko substring": [w[:2] for w in korean_words[:40:2]],
        "ko 2 words": [
            " ".join(_HANGUL_WORD.findall(t)[:2])
            for t in rng.sample(korean_turns, min(20, len(korean_turns)))
            if len(_HANGUL_WORD.findall(t)) >= 2
        ],
        "no match": ["zyxwvutsr", "qqqxxyyzz", "없는단어입니다"],
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def add_vectors(settings: Settings, said: list[str]) -> int:
    """A SegmentEmbedding row for every segment of four words or more, as the gateway's
    embedder thread writes them; the vectors are real ones of 1,000 said texts, in turn."""
    from bench.meeting_corpus import EmbeddingCache
    from bench.search_quality import CACHE_DIR
    from gateway.semantic import MIN_WORDS, MODEL
    from vori.embedding import to_bytes

    texts = [t for t in said if len(t.split()) >= MIN_WORDS][:1000]
    vectors = EmbeddingCache("passages", folder=CACHE_DIR, passages=True).get(texts)
    engine = create_db_engine(settings)
    added = 0
    with engine.begin() as conn:
        rows = conn.execute(
            select(
                TranscriptSegmentRow.id, TranscriptSegmentRow.meeting_id, TranscriptSegmentRow.text
            )
        ).all()
        chosen = [r for r in rows if len(r.text.split()) >= MIN_WORDS]
        for start in range(0, len(chosen), 5000):
            conn.execute(
                insert(SegmentEmbedding),
                [
                    {
                        "segment_id": r.id,
                        "meeting_id": r.meeting_id,
                        "vector": to_bytes(vectors[(start + i) % len(vectors)]),
                        "model": MODEL,
                    }
                    for i, r in enumerate(chosen[start : start + 5000])
                ],
            )
        added = len(chosen)
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return added


def measure(
    settings: Settings, classes: dict[str, list[str]], repeat: int, semantic: Any = None
) -> dict[str, Any]:
    engine = create_db_engine(settings)
    sessions = session_factory(engine)
    rows: dict[str, Any] = {}
    everything: list[float] = []
    with sessions() as session:
        for name, texts in classes.items():
            timings: list[float] = []
            hits: list[int] = []
            for q in texts:
                search(session, USER, q, 20, 0, semantic)  # warm the plan and the cache
                for _ in range(repeat):
                    began = time.perf_counter()
                    found = search(session, USER, q, 20, 0, semantic)
                    timings.append((time.perf_counter() - began) * 1000)
                hits.append(len(found.hits))
            everything += timings
            rows[name] = {
                "queries": len(texts),
                "p50_ms": round(statistics.median(timings), 1),
                "p95_ms": round(_percentile(timings, 0.95), 1),
                "max_ms": round(max(timings), 1),
                "mean_hits": round(statistics.mean(hits), 1),
                "examples": texts[:3],
            }
    engine.dispose()
    rows["all"] = {
        "queries": sum(r["queries"] for r in rows.values()),
        "p50_ms": round(statistics.median(everything), 1),
        "p95_ms": round(_percentile(everything, 0.95), 1),
        "max_ms": round(max(everything), 1),
    }
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--meetings", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=60, help="segments per meeting")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--semantic", action="store_true", help="with semantic search")
    args = parser.parse_args()
    results = RESULTS.with_name("search-semantic.json") if args.semantic else RESULTS
    semantic = None
    cold_ms = None
    with (
        tempfile.TemporaryDirectory(prefix="vori-bench-search-") as folder,
        postgres(Path(folder)) as settings,
    ):
        began = time.perf_counter()
        data = populate(settings, args.meetings, args.turns)
        load_s = time.perf_counter() - began
        frequent = [w for w, _n in data["counts"].most_common(300) if w.isascii()]
        stop = stop_words(settings, frequent)
        classes = queries(data["said"], data["counts"], stop, random.Random(11))
        if args.semantic:
            from gateway.semantic import SemanticIndex, SharedModel

            vectors = add_vectors(settings, data["said"])
            print(f"{vectors} segment vectors")
            semantic = SemanticIndex(SharedModel())
            decisions = [
                d for m in load("ami", root=find_meetings_dir()) for d in m.gold["decisions"]
            ]
            classes["en sentence"] = decisions[::29][:20]
            engine = create_db_engine(settings)
            with session_factory(engine)() as session:
                began = time.perf_counter()
                search(session, USER, classes["en sentence"][0], 20, 0, semantic)
                cold_ms = (time.perf_counter() - began) * 1000
            engine.dispose()
            print(f"first semantic search (model load, every vector read): {cold_ms:.0f} ms")
        load_before = os.getloadavg()[0]
        rows = measure(settings, classes, args.repeat, semantic)
        load_after = os.getloadavg()[0]
    print(f"{args.meetings} meetings, {data['segments']} segments, loaded in {load_s:.0f} s")
    print(f"load average {load_before:.1f} before, {load_after:.1f} after, {os.cpu_count()} CPUs")
    print(f"{'query class':<18} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'hits':>6}")
    for name, row in rows.items():
        hits = row.get("mean_hits", "")
        print(
            f"{name:<18} {row['queries']:>4} {row['p50_ms']:>8} {row['p95_ms']:>8} "
            f"{row['max_ms']:>8} {hits:>6}"
        )
    results.write_text(
        json.dumps(
            {
                "meetings": args.meetings,
                "segments": data["segments"],
                "repeat": args.repeat,
                "machine": platform.platform(),
                "cpus": os.cpu_count(),
                # Other work on the machine inflates the tail: the 1-minute load, before/after.
                "load_average": [round(load_before, 2), round(load_after, 2)],
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "first_semantic_search_ms": round(cold_ms) if cold_ms else None,
                "results": rows,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"wrote {results.relative_to(REPO)}")


if __name__ == "__main__":
    main()
