"""Benchmark of the summarizer: action-item precision/recall, owner and due-date accuracy,
and the time from meeting end to the final summary, for the rules and each LLM path.

    python bench/summarizer.py                       # rules, and rules + detector
    python bench/summarizer.py --threshold 0.97 --candidate 0.97   # detector thresholds
    python bench/summarizer.py --local               # + the local model (installs it once)
    python bench/summarizer.py --llm-url URL --model M [--json-mode json_object]

Each annotated meeting in tests/data/meetings is replayed line by line; a rolling summary
runs every `--refresh-words` new words (as the worker does), and the final one when the
meeting ends (`final`, as the worker marks it). The "rules+detector" path is the default of
`make run`: every segment scored once by the pinned action-item detector (e5 embeddings
computed here), with its thresholds or those given. Matching rule
(tests/helpers/summarizer.py): a proposed open item matches an expected item when its
title contains every annotated keyword; one-to-one, in file order.
Prints a table and writes bench/results/summarizer.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import get_args

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import llm_paths  # noqa: E402
from summarizer.detector import ActionDetector, DetectorModel, with_scores  # noqa: E402
from summarizer.digest import Digest  # noqa: E402
from summarizer.engine import Summarizer  # noqa: E402
from summarizer.ledger import Ledger  # noqa: E402
from tests.helpers.summarizer import AnnotatedMeeting, Score, all_meetings, score  # noqa: E402
from vori.embedding import Embedder  # noqa: E402
from vori.settings import TaskSelection, load_settings  # noqa: E402


@dataclass
class PathResult:
    name: str
    score: Score = field(default_factory=Score)
    by_language: dict[str, Score] = field(default_factory=dict)
    final_s: list[float] = field(default_factory=list)
    llm_calls_failed: int = 0
    summaries: int = 0
    meetings: dict[str, dict[str, object]] = field(default_factory=dict)


def replay(
    meeting: AnnotatedMeeting,
    summarizer: Summarizer,
    refresh_words: int,
    detector: ActionDetector | None = None,
) -> tuple[Ledger, float, int, int]:
    """Rolling summaries during the meeting, then the final one; returns the final ledger,
    seconds from meeting end to final summary, summaries made, LLM fallbacks."""
    ledger = Ledger(meeting.id)
    seen: set[str] = set()
    previous = Digest()
    words = made = failed = 0
    lines = list(meeting.utterances)
    if detector is not None:  # each segment is scored once, as the worker does
        lines = with_scores(lines, detector.score_unscored(lines))
    for index, utterance in enumerate(lines[:-1]):
        words += utterance.words
        if words >= refresh_words:
            shown = lines[: index + 1]
            outcome = summarizer.summarize(
                meeting.facts, shown, ledger, {u.segment_id for u in shown} - seen, previous
            )
            ledger, previous = outcome.ledger, outcome.digest
            seen |= {u.segment_id for u in shown}
            made += 1
            failed += outcome.llm_error is not None
            words = 0
    started = time.perf_counter()
    outcome = summarizer.summarize(
        meeting.facts, lines, ledger, {u.segment_id for u in lines} - seen, previous, final=True
    )
    elapsed = time.perf_counter() - started
    return outcome.ledger, elapsed, made + 1, failed + (outcome.llm_error is not None)


def run_path(
    name: str,
    summarizer: Summarizer,
    meetings: list[AnnotatedMeeting],
    refresh_words: int,
    detector: ActionDetector | None = None,
) -> PathResult:
    result = PathResult(name)
    for meeting in meetings:
        ledger, final_s, made, failed = replay(meeting, summarizer, refresh_words, detector)
        scored = score(ledger.items(), meeting.expected)
        result.score.add(scored)
        result.by_language.setdefault(meeting.facts.language, Score()).add(scored)
        result.final_s.append(final_s)
        result.summaries += made
        result.llm_calls_failed += failed
        result.meetings[meeting.id] = {
            "precision": scored.precision,
            "recall": scored.recall,
            "owner_accuracy": scored.owner_accuracy,
            "due_accuracy": scored.due_accuracy,
            "final_summary_s": round(final_s, 3),
            "misses": scored.misses,
            "extras": scored.extras,
        }
        print(
            f"  {name:14} {meeting.id:28} P={scored.precision:.2f} R={scored.recall:.2f} "
            f"owner={scored.owner_accuracy:.2f} due={scored.due_accuracy:.2f} final={final_s:.2f}s",
            flush=True,
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    llm_paths.add_arguments(parser)
    parser.add_argument("--refresh-words", type=int, default=150)
    parser.add_argument("--only", help="comma-separated substrings of meeting ids to run")
    parser.add_argument(
        "--tasks",
        default="selective",
        choices=get_args(TaskSelection),
        help="which commitments become cards (VORI_SUMMARIZER__TASKS)",
    )
    parser.add_argument("--threshold", type=float, help="the detector's task threshold")
    parser.add_argument("--candidate", type=float, help="the detector's candidate threshold")
    args = parser.parse_args()
    wanted = args.only.split(",") if args.only else []
    meetings = [m for m in all_meetings() if not wanted or any(w in m.id for w in wanted)]
    settings = load_settings()
    detector_model = DetectorModel.load()
    thresholds = detector_model.thresholds(args.tasks)
    thresholds = replace(
        thresholds,
        task=thresholds.task if args.threshold is None else args.threshold,
        candidate=thresholds.candidate if args.candidate is None else args.candidate,
    )
    detector = ActionDetector(detector_model, Embedder(threads=args.threads).embed)
    paths: list[tuple[str, Summarizer]] = [
        ("rules", Summarizer(None)),
        ("rules+detector", Summarizer(None, thresholds=thresholds)),
    ]
    results = []
    with llm_paths.llm_clients(settings, args) as clients:
        for name, client, config in clients:
            paths.append(
                (
                    name,
                    Summarizer(
                        client.ask,
                        max_items=config.max_items,
                        max_prompt_words=config.max_prompt_words,
                    ),
                )
            )
        for name, summarizer in paths:
            print(f"path {name}", flush=True)
            scorer = detector if name == "rules+detector" else None
            results.append(run_path(name, summarizer, meetings, args.refresh_words, scorer))
    print()
    print(
        f"{'path':16} {'lang':4} {'items':>5} {'precision':>9} {'recall':>6} "
        f"{'owner':>6} {'due':>6} "
        f"{'final s (mean/max)':>18} {'fallbacks':>9}"
    )
    for r in results:
        fallbacks = f"{r.llm_calls_failed}/{r.summaries}"
        for language, s in [("all", r.score), *sorted(r.by_language.items())]:
            finals = (
                f"{statistics.mean(r.final_s):.2f}/{max(r.final_s):.2f}"
                if language == "all"
                else ""
            )
            print(
                f"{r.name:16} {language:4} {s.expected_open:5d} {s.precision:9.2f} {s.recall:6.2f} "
                f"{s.owner_accuracy:6.2f} {s.due_accuracy:6.2f} {finals:>18} "
                f"{fallbacks if language == 'all' else '':>9}"
            )
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "refresh_words": args.refresh_words,
        "matching_rule": "title contains every annotated keyword; one-to-one in file order",
        "paths": [
            {
                "name": r.name,
                "precision": r.score.precision,
                "recall": r.score.recall,
                "owner_accuracy": r.score.owner_accuracy,
                "due_accuracy": r.score.due_accuracy,
                "expected_items": r.score.expected_open,
                "cancelled_kept_open": r.score.cancelled_kept_open,
                "final_summary_s_mean": statistics.mean(r.final_s),
                "final_summary_s_max": max(r.final_s),
                "llm_fallbacks": r.llm_calls_failed,
                "summaries": r.summaries,
                "by_language": {
                    k: {
                        "precision": v.precision,
                        "recall": v.recall,
                        "owner_accuracy": v.owner_accuracy,
                        "due_accuracy": v.due_accuracy,
                    }
                    for k, v in r.by_language.items()
                },
                "meetings": r.meetings,
            }
            for r in results
        ],
    }
    (out / "summarizer.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    print(f"\nwrote {out / 'summarizer.json'}")


if __name__ == "__main__":
    main()
