"""Does semantic search help `GET /api/v1/search`? Retrieval quality on real meetings.

    .venv/bin/python -m bench.search_quality --icsi-every 8 --report-every 2 --tune-every 3 \
        --no-windows                                          # ~10 min on 2 busy CPUs

The corpus: the AMI and ICSI meetings of ../shared/data/meetings (ICSI: every meeting whose
id hashes to 0 modulo --icsi-every, to bound the embedding time) and the Korean meetings
of bench/data/meetings_ko, whole transcripts stored as final segments in a real PostgreSQL
through the gateway's tables (bench/search.py's setup). Meetings are split in two by a hash
of their id; one user is a member of the tuning half, another of the reporting half, so
each query searches the ~half of the corpus it belongs to. Queries (bench/search_queries.py)
come from the annotators' decisions, action items and problems (as keywords and as the
sentence), and exact three-word phrases of the transcripts.

Systems, each a list of up to 50 hits: `shipped` (gateway.search.search, as the route
runs it), `semantic` (multilingual-e5-small vectors, `query:` against `passage:`, cosine
over the half's segments, or windows of consecutive segments: whichever the tuning half
prefers), `hybrid` (weighted reciprocal-rank fusion of the two hit lists, weight and k
chosen on the tuning half) and `append` (the shipped hits, then the semantic ones they
lack). Semantic hits further than a margin below a query's best one are dropped before
fusing or appending: the margin within which 95% of the tuning queries' best right hits
lie. (An absolute floor was tried first: 95% of the right hits reach 0.83, but so do
queries about nothing ever said, and short paraphrases' right hits do not.)

Metrics on the reporting half: meeting-level recall@1, @5 and MRR (the meeting's rank =
where its first hit is), the share of queries with no hit, and segment-level hit@10 (a hit
on a segment of that meeting sharing two content stems with the annotation, or holding the
phrase). Also the semantic part's latency over 60,000 vectors (bench/search.py's 1,000
meetings) and the CPU cost of embedding segments. Passage vectors are cached under
/tmp/vori-search-quality. Prints a table, writes bench/results/search-quality.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert, text

from bench.meeting_corpus import EmbeddingCache, Meeting, find_meetings_dir, load
from bench.search import (
    KO_MEETINGS,
    create_owner,
    insert_meeting,
    postgres,
    segment_rows,
    stop_words,
)
from bench.search_queries import (
    Frequencies,
    Query,
    Segment,
    annotation_queries,
    content_words,
    phrase_queries,
    split_of,
)
from gateway.search import search
from vori.db.engine import create_db_engine, session_factory
from vori.db.tables import User
from vori.settings import Settings

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "search-quality.json"
CACHE_DIR = Path(tempfile.gettempdir()) / "vori-search-quality"
USERS = {"tune": "usr_tune", "report": "usr_report"}
HITS = 50
MIN_WORDS = 4  # shorter segments ("yeah", "okay, right") get no vector
WINDOW_TURNS = 4
LATENCY_VECTORS = 60_000
FORMS = ("keywords", "sentence", "phrase")


@dataclass(frozen=True)
class Hit:
    key: str  # what two systems' hits of the same thing share
    meeting_id: str
    segments: frozenset[str]
    similarity: float = 0.0  # of a semantic hit: cosine of query and passage


Ranked = list[Hit]


def corpus(icsi_every: int, report_every: int, tune_every: int) -> list[Meeting]:
    """AMI and a sample of ICSI, a sample of each half of them; the Korean meetings."""
    root = find_meetings_dir()

    def kept(meeting_id: str, every: int) -> bool:
        digest = hashlib.sha256(f"sample:{meeting_id}".encode()).hexdigest()
        return int(digest[:8], 16) % every == 0

    icsi = [m for m in load("icsi", root=root) if kept(m.id, icsi_every)]
    english = [
        m
        for m in load("ami", root=root) + icsi
        if kept(m.id, report_every if split_of(m.id) == "report" else tune_every)
    ]
    return english + load(str(KO_MEETINGS))


_worker_model: Any = None


def _embed_chunk(texts: list[str]) -> np.ndarray:
    global _worker_model
    if _worker_model is None:
        from vori.embedding import Embedder

        _worker_model = Embedder(1)
    return np.asarray(_worker_model.embed_passages(texts))


def embed_parallel(cache: EmbeddingCache, texts: list[str], workers: int) -> None:
    """Fill the cache with the texts' passage vectors, `workers` processes of one thread."""
    from bench.meeting_corpus import _key

    missing = list(dict.fromkeys(t for t in texts if _key(t) not in cache.vectors))
    chunks = [missing[i : i + 128] for i in range(0, len(missing), 128)]
    with ProcessPoolExecutor(workers) as pool:
        for number, (chunk, vectors) in enumerate(
            zip(chunks, pool.map(_embed_chunk, chunks), strict=True), 1
        ):
            for text, vector in zip(chunk, vectors, strict=True):
                cache.vectors[_key(text)] = vector.astype(np.float16)
            if number % 20 == 0:
                print(f"  embedded {128 * number}/{len(missing)}", flush=True)
                cache.save()
    cache.save()


def stored_segments(meetings: list[Meeting]) -> dict[str, list[dict[str, Any]]]:
    """Each meeting's final-segment rows, one per spoken turn (AMI has no timings: 4 s each)."""
    return {
        m.id: segment_rows(
            m.id,
            m.language,
            [
                (t.speaker, t.text, t.start if t.start is not None else 4.0 * i)
                for i, t in enumerate(m.turns)
                if t.text.strip()
            ],
        )
        for m in meetings
    }


def store(
    settings: Settings, meetings: list[Meeting], rows: dict[str, list[dict[str, Any]]]
) -> None:
    engine = create_db_engine(settings)
    sessions = session_factory(engine)
    created = datetime(2026, 1, 5, 9, tzinfo=UTC)
    with sessions.begin() as session:
        create_owner(session)
        session.execute(
            insert(User),
            [
                {
                    "id": user,
                    "email": f"{user}@example.com",
                    "display_name": user,
                    "password_hash": "x",
                }
                for user in USERS.values()
            ],
        )
    for number, meeting in enumerate(meetings):
        with sessions.begin() as session:
            insert_meeting(
                session,
                meeting.id,
                f"{meeting.corpus.upper()} {meeting.id}",  # no word a query could match
                meeting.language,
                created + timedelta(hours=number),
                rows[meeting.id],
                member=USERS[split_of(meeting.id)],
            )
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def shipped(settings: Settings, queries: list[Query]) -> tuple[list[Ranked], list[float]]:
    """Each query's hits from the shipped search, and its time in ms."""
    engine = create_db_engine(settings)
    rankings: list[Ranked] = []
    timings: list[float] = []
    with session_factory(engine)() as session:
        for query in queries:
            began = time.perf_counter()
            page = search(session, USERS[query.split], query.text, HITS, 0)
            timings.append((time.perf_counter() - began) * 1000)
            rankings.append(
                [
                    Hit(
                        f"segment:{h.segment_id}"
                        if h.segment_id
                        else f"{h.kind}:{h.meeting_id}:{h.field or h.card_id or ''}",
                        h.meeting_id,
                        frozenset([h.segment_id] if h.segment_id else []),
                    )
                    for h in page.hits
                ]
            )
    engine.dispose()
    return rankings, timings


@dataclass
class Passage:
    key: str
    meeting_id: str
    text: str
    segments: frozenset[str]


def passages(
    meetings: list[Meeting], segments: dict[str, list[Segment]], variant: str
) -> list[Passage]:
    """What gets a vector: each segment of MIN_WORDS words or more, or each window of
    WINDOW_TURNS consecutive segments (linked to its first)."""
    found: list[Passage] = []
    for meeting in meetings:
        said = segments[meeting.id]
        if variant == "segments":
            found += [
                Passage(f"segment:{s.id}", meeting.id, s.text, frozenset([s.id]))
                for s in said
                if len(s.text.split()) >= MIN_WORDS
            ]
            continue
        for start in range(0, len(said), WINDOW_TURNS):
            window = said[start : start + WINDOW_TURNS]
            joined = " ".join(s.text for s in window)
            if len(joined.split()) >= MIN_WORDS:
                found.append(
                    Passage(
                        f"segment:{window[0].id}",
                        meeting.id,
                        joined,
                        frozenset(s.id for s in window),
                    )
                )
    return found


class Index:
    """Passage vectors with what each links to; cosine top-k by one matrix product."""

    def __init__(self, found: list[Passage], vectors: np.ndarray) -> None:
        self.passages = found
        self.vectors = vectors

    def top(self, query: np.ndarray, k: int = HITS) -> Ranked:
        scores = self.vectors @ query
        best = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
        best = best[np.argsort(-scores[best])]
        return [
            Hit(
                self.passages[i].key,
                self.passages[i].meeting_id,
                self.passages[i].segments,
                float(scores[i]),
            )
            for i in best
        ]


def above(ranked: Ranked, floor: float) -> Ranked:
    return [hit for hit in ranked if hit.similarity >= floor]


def near_best(ranked: Ranked, margin: float) -> Ranked:
    return above(ranked, ranked[0].similarity - margin) if ranked else []


def choose_margin(queries: list[Query], semantic: list[Ranked], share: float = 0.95) -> float:
    """How far below a query's best semantic hit `share` of the tuning queries' best right
    hits lie, at most."""
    gaps = [
        ranked[0].similarity
        - max(h.similarity for h in ranked if h.meeting_id in q.relevant_meetings)
        for q, ranked in zip(queries, semantic, strict=True)
        if any(h.meeting_id in q.relevant_meetings for h in ranked)
    ]
    return round(float(np.quantile(gaps, share)), 3)


def choose_floor(queries: list[Query], semantic: list[Ranked], share: float = 0.95) -> float:
    """The similarity that `share` of the tuning queries' best relevant semantic hits reach:
    below it a semantic hit is dropped, so that a query about nothing said finds nothing."""
    best = [
        max(h.similarity for h in ranked if h.meeting_id in q.relevant_meetings)
        for q, ranked in zip(queries, semantic, strict=True)
        if any(h.meeting_id in q.relevant_meetings for h in ranked)
    ]
    return round(float(np.quantile(best, 1.0 - share)), 3)


def fuse(first: Ranked, second: Ranked, weight: float, k: float) -> Ranked:
    """Weighted reciprocal-rank fusion: `weight` for the first list, the rest for the second."""
    scores: dict[str, float] = defaultdict(float)
    hits: dict[str, Hit] = {}
    for share, ranked in ((weight, first), (1.0 - weight, second)):
        for rank, hit in enumerate(ranked, 1):
            scores[hit.key] += share / (k + rank)
            hits.setdefault(hit.key, hit)
    ordered = sorted(hits, key=lambda key: -scores[key])  # stable: ties keep first-seen order
    return [hits[key] for key in ordered[:HITS]]


def append(first: Ranked, second: Ranked) -> Ranked:
    """The first list, then the second's hits that it lacks: never reorders the first."""
    keys = {hit.key for hit in first}
    return (first + [hit for hit in second if hit.key not in keys])[:HITS]


def meeting_rank(ranked: Ranked, relevant: set[str]) -> int | None:
    order = list(dict.fromkeys(hit.meeting_id for hit in ranked))
    return next((i + 1 for i, m in enumerate(order) if m in relevant), None)


def metrics(queries: list[Query], rankings: list[Ranked]) -> dict[str, Any]:
    ranks = [meeting_rank(r, q.relevant_meetings) for q, r in zip(queries, rankings, strict=True)]
    with_moments = [(q, r) for q, r in zip(queries, rankings, strict=True) if q.relevant_segments]
    return {
        "n": len(queries),
        "recall_at_1": round(sum(r == 1 for r in ranks) / len(ranks), 3),
        "recall_at_5": round(sum(r is not None and r <= 5 for r in ranks) / len(ranks), 3),
        "mrr": round(sum(1 / r for r in ranks if r) / len(ranks), 3),
        "no_result": round(sum(not r for r in rankings) / len(rankings), 3),
        "segment_n": len(with_moments),
        "segment_hit_at_10": round(
            sum(any(h.segments & q.relevant_segments for h in r[:10]) for q, r in with_moments)
            / max(1, len(with_moments)),
            3,
        ),
    }


NONSENSE = (
    "zyxwvutsr",
    "qqqxxyyzz",
    "efor",
    "blorft wuzzle",
    "asdf qwer zxcv",
    "xkcd zzyzx",
    "lorem ipsum dolor",
    "없는단어입니다",
    "퀘퀘 뷁뷁",
    "flibbertigibbet snollygoster",
)


def nonsense_hits(
    query_cache: EmbeddingCache, found: list[Passage], cache: EmbeddingCache, floor: float
) -> dict[str, Any]:
    """Queries about nothing anyone said: how many semantic hits pass the floor."""
    index = Index(found, cache.get([p.text for p in found]))
    best = [index.top(v, 1)[0].similarity for v in query_cache.get(list(NONSENSE))]
    return {
        "queries": list(NONSENSE),
        "best_similarity": [round(b, 3) for b in best],
        "with_a_hit_above_floor": sum(b >= floor for b in best),
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def semantic_cost(found: list[Passage], vectors: np.ndarray, queries: list[str]) -> dict[str, Any]:
    """Query latency over LATENCY_VECTORS vectors (embedding the query, then scoring), and
    the CPU cost of embedding segments afresh."""
    from vori.embedding import Embedder

    one = Embedder(1)  # as a gateway worker would: one thread per query
    tiled = np.resize(vectors, (LATENCY_VECTORS, vectors.shape[1])).astype(np.float32)
    embed_ms: list[float] = []
    score_ms: list[float] = []
    for query in queries:
        began = time.perf_counter()
        vector = one.embed([query])[0]
        embedded = time.perf_counter()
        scores = tiled @ vector
        best = np.argpartition(-scores, HITS)[:HITS]
        _ranked = best[np.argsort(-scores[best])]
        embed_ms.append((embedded - began) * 1000)
        score_ms.append((time.perf_counter() - embedded) * 1000)
    total = [a + b for a, b in zip(embed_ms, score_ms, strict=True)]
    sample = [p.text for p in found if p.key.startswith("segment:")][::37][:200]
    cpu = time.process_time()
    wall = time.perf_counter()
    for start in range(0, len(sample), 64):
        one.embed_passages(sample[start : start + 64])
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    # Segments an hour of meeting: ICSI's, the corpus with timings (all of it, embedded
    # or not: what a real hour of talk gives the embedder).
    icsi = load("icsi", root=find_meetings_dir())
    hours = sum(max(t.start or 0.0 for t in m.turns) for m in icsi) / 3600
    embedded_icsi = sum(len(t.text.split()) >= MIN_WORDS for m in icsi for t in m.turns)
    per_1000 = 1000 * cpu / len(sample)
    return {
        "query_vectors": LATENCY_VECTORS,
        "queries": len(queries),
        "embed_query_p50_ms": round(statistics.median(embed_ms), 1),
        "score_p50_ms": round(statistics.median(score_ms), 1),
        "total_p50_ms": round(statistics.median(total), 1),
        "total_p95_ms": round(_percentile(total, 0.95), 1),
        "index_mib_float32": round(LATENCY_VECTORS * vectors.shape[1] * 4 / 2**20, 1),
        "embed_sample_segments": len(sample),
        "embed_cpu_s_per_1000_segments": round(per_1000, 1),
        "embed_wall_ms_per_segment": round(1000 * wall / len(sample), 1),
        "icsi_embedded_segments_per_hour": round(embedded_icsi / hours) if hours else None,
        "embed_cpu_s_per_meeting_hour": round(per_1000 * embedded_icsi / hours / 1000, 1)
        if hours
        else None,
    }


def evaluate(queries: list[Query], systems: dict[str, list[Ranked]]) -> dict[str, dict[str, Any]]:
    """Metrics of each system, per form and per corpus and form."""
    table: dict[str, dict[str, Any]] = {}
    for system, rankings in systems.items():
        groups: dict[str, list[int]] = defaultdict(list)
        for i, query in enumerate(queries):
            groups[query.form].append(i)
            groups[f"{query.corpus} {query.form}"].append(i)
            groups["all"].append(i)
        table[system] = {
            name: metrics([queries[i] for i in picked], [rankings[i] for i in picked])
            for name, picked in sorted(groups.items())
        }
    return table


def _form_mrr(queries: list[Query], rankings: list[Ranked]) -> float:
    """The mean over forms of each form's MRR: what the tuning half maximises."""
    by_form = evaluate(queries, {"x": rankings})["x"]
    return statistics.mean(by_form[form]["mrr"] for form in FORMS if form in by_form)


def tune_fusion(
    queries: list[Query], lexical: list[Ranked], semantic: list[Ranked]
) -> tuple[float, float, list[dict[str, float]]]:
    grid = []
    for k in (5.0, 20.0, 60.0):
        for weight in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            fused = [fuse(a, b, weight, k) for a, b in zip(lexical, semantic, strict=True)]
            grid.append({"k": k, "weight": weight, "mrr": round(_form_mrr(queries, fused), 4)})
    best = max(grid, key=lambda row: row["mrr"])
    return best["weight"], best["k"], grid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--icsi-every", type=int, default=16, help="keep 1 ICSI meeting in N")
    parser.add_argument(
        "--report-every", type=int, default=2, help="keep 1 meeting of the reporting half in N"
    )
    parser.add_argument(
        "--tune-every", type=int, default=3, help="keep 1 meeting of the tuning half in N"
    )
    parser.add_argument("--threads", type=int, default=1, help="embedder threads (queries)")
    parser.add_argument("--workers", type=int, default=2, help="embedding processes")
    parser.add_argument("--embed-only", action="store_true", help="fill the vector cache, stop")
    parser.add_argument("--no-windows", action="store_true", help="try segments only")
    args = parser.parse_args()
    meetings = corpus(args.icsi_every, args.report_every, args.tune_every)
    rows = stored_segments(meetings)
    segments = {
        m: [Segment(r["id"], r["meeting_id"], r["text"]) for r in found]
        for m, found in rows.items()
    }
    cache = EmbeddingCache("passages", folder=CACHE_DIR, passages=True)
    tune_meetings = [m for m in meetings if split_of(m.id) == "tune"]
    variants = {"segments": passages(meetings, segments, "segments")}
    if not args.no_windows:
        variants["windows"] = passages(tune_meetings, segments, "windows")
    began = time.perf_counter()
    for found in variants.values():
        embed_parallel(cache, [p.text for p in found], args.workers)
    print(f"passages embedded or cached in {time.perf_counter() - began:.0f} s")
    if args.embed_only:
        return
    load_before = os.getloadavg()
    with (
        tempfile.TemporaryDirectory(prefix="vori-bench-quality-") as folder,
        postgres(Path(folder)) as settings,
    ):
        store(settings, meetings, rows)
        frequencies = Frequencies(s for found in segments.values() for s in found)
        said = [w for w, _n in frequencies.english.most_common(3000)]
        gold = {
            w
            for m in meetings
            for key in ("decisions", "action_items", "problems")
            for item in m.gold.get(key) or []
            for w in content_words(item["text"] if isinstance(item, dict) else item, set())
            if w.isascii()
        }
        stop = stop_words(settings, sorted(set(said) | gold))
        queries = annotation_queries(meetings, segments, stop, frequencies)
        queries += phrase_queries(meetings, segments, stop)
        lexical, lexical_ms = shipped(settings, queries)
    query_cache = EmbeddingCache("queries", folder=CACHE_DIR, passages=False)
    query_vectors = query_cache.get([q.text for q in queries], threads=args.threads)

    def semantic(found: list[Passage]) -> list[Ranked]:
        """Each query's hits among its half's passages (none where the half has none)."""
        vectors = cache.get([p.text for p in found])
        indexes = {
            split: Index(
                [p for p in found if split_of(p.meeting_id) == split],
                vectors[[split_of(p.meeting_id) == split for p in found]],
            )
            for split in USERS
            if any(split_of(p.meeting_id) == split for p in found)
        }
        return [
            indexes[q.split].top(v) if q.split in indexes else []
            for q, v in zip(queries, query_vectors, strict=True)
        ]

    tune = [i for i, q in enumerate(queries) if q.split == "tune"]
    report = [i for i, q in enumerate(queries) if q.split == "report"]

    def part(items: list[Any], picked: list[int]) -> list[Any]:
        return [items[i] for i in picked]

    by_variant = {name: semantic(found) for name, found in variants.items()}
    variant_mrr = {
        name: round(_form_mrr(part(queries, tune), part(ranked, tune)), 4)
        for name, ranked in by_variant.items()
    }
    chosen = max(variant_mrr, key=lambda name: variant_mrr[name])
    if chosen == "windows":  # tried on the tuning half only: embed the reporting half too
        variants["windows"] = passages(meetings, segments, "windows")
        embed_parallel(cache, [p.text for p in variants["windows"]], args.workers)
        by_variant["windows"] = semantic(variants["windows"])
    vectors = by_variant[chosen]
    floor = choose_floor(part(queries, tune), part(vectors, tune))
    margin = choose_margin(part(queries, tune), part(vectors, tune))
    kept = [near_best(ranked, margin) for ranked in vectors]
    weight, k, grid = tune_fusion(part(queries, tune), part(lexical, tune), part(kept, tune))
    hybrid = [fuse(a, b, weight, k) for a, b in zip(lexical, kept, strict=True)]
    nonsense = nonsense_hits(query_cache, variants["segments"], cache, floor)
    appended = [append(a, b) for a, b in zip(lexical, kept, strict=True)]
    systems = {"shipped": lexical, "semantic": vectors, "hybrid": hybrid, "append": appended}
    reported = evaluate(part(queries, report), {n: part(r, report) for n, r in systems.items()})
    tuned = evaluate(part(queries, tune), {n: part(r, tune) for n, r in systems.items()})
    found = variants["segments"]
    cost = semantic_cost(
        found,
        cache.get([p.text for p in found]),
        [q.text for q in part(queries, report)][:200],
    )
    load_after = os.getloadavg()
    _print(
        reported,
        variant_mrr,
        chosen,
        floor,
        margin,
        weight,
        k,
        cost,
        lexical_ms,
        load_before,
        load_after,
    )
    print(
        f"nonsense queries with a semantic hit above the floor: "
        f"{nonsense['with_a_hit_above_floor']}/{len(NONSENSE)}"
    )
    RESULTS.write_text(
        json.dumps(
            {
                "meetings": {
                    split: sum(split_of(m.id) == split for m in meetings) for split in USERS
                },
                "corpora": sorted({m.corpus for m in meetings}),
                "icsi_every": args.icsi_every,
                "report_every": args.report_every,
                "tune_every": args.tune_every,
                "segments": sum(len(s) for s in segments.values()),
                "embedded_segments": len(variants["segments"]),
                "queries": {split: sum(q.split == split for q in queries) for split in USERS},
                "examples": {
                    form: [q.text for q in queries if q.form == form][:5] for form in FORMS
                },
                "tuning": {
                    "semantic_variant_mrr": variant_mrr,
                    "chosen_variant": chosen,
                    "fusion_weight_shipped": weight,
                    "fusion_k": k,
                    "absolute_floor_95": floor,
                    "similarity_margin": margin,
                    "semantic_hits_kept_mean": round(
                        statistics.mean(len(r) for r in part(kept, report)), 1
                    ),
                    "grid": grid,
                    "tune_half": tuned,
                },
                "report_half": reported,
                "shipped_ms": {
                    "p50": round(statistics.median(lexical_ms), 1),
                    "p95": round(_percentile(lexical_ms, 0.95), 1),
                },
                "semantic_cost": cost,
                "nonsense_queries": nonsense,
                "machine": platform.platform(),
                "cpus": os.cpu_count(),
                "load_average": [round(load_before[0], 2), round(load_after[0], 2)],
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"wrote {RESULTS.relative_to(REPO)}")


def _print(
    reported: dict[str, dict[str, Any]],
    variant_mrr: dict[str, float],
    chosen: str,
    floor: float,
    margin: float,
    weight: float,
    k: float,
    cost: dict[str, Any],
    lexical_ms: list[float],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> None:
    print(
        f"tuning half: semantic MRR {variant_mrr} -> {chosen}; similarity floor {floor} "
        f"(not used), margin {margin}; "
        f"fusion weight {weight} (shipped), k {k}"
    )
    print(
        f"{'reporting half':<22} {'system':<9} {'n':>4} {'R@1':>6} {'R@5':>6} {'MRR':>6} "
        f"{'none':>6} {'seg@10':>7}"
    )
    names = sorted(reported["shipped"], key=lambda n: (n != "all", n))
    for name in names:
        for system, table in reported.items():
            row = table[name]
            print(
                f"{name:<22} {system:<9} {row['n']:>4} {row['recall_at_1']:>6} "
                f"{row['recall_at_5']:>6} {row['mrr']:>6} {row['no_result']:>6} "
                f"{row['segment_hit_at_10']:>7}"
            )
    print(
        f"semantic part over {cost['query_vectors']} vectors: p50 {cost['total_p50_ms']} ms "
        f"(query embedding {cost['embed_query_p50_ms']} ms, scoring {cost['score_p50_ms']} ms), "
        f"p95 {cost['total_p95_ms']} ms; shipped search p50 "
        f"{statistics.median(lexical_ms):.1f} ms"
    )
    print(
        f"embedding segments: {cost['embed_cpu_s_per_1000_segments']} CPU s per 1,000, "
        f"{cost['embed_cpu_s_per_meeting_hour']} CPU s per meeting hour (ICSI)"
    )
    print(
        f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after, "
        f"{os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
