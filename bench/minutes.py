"""Benchmark of the rules summary's overview against human abstracts of real meetings.

    python bench/minutes.py                          # all four splits
    python bench/minutes.py --splits ami-val --limit 3 --example ES2009b

Runs `summarizer.digest.digest` (the non-LLM summary) over the AMI and ICSI meetings in
../shared/data/meetings and scores the overview field alone with ROUGE-1/2/L F1 (stemmed)
against `gold.summary`. Splits: tune on `ami-train` (QMSum train) and `icsi-tune` (the
first two thirds of ICSI by meeting id); report `ami-val` (QMSum val) and `icsi-report`
(the last third). ICSI meetings whose abstract is empty are skipped and counted.
Prints a table and one example overview, writes bench/results/minutes.json.
Data: AMI Meeting Corpus (CC BY 4.0, AMI Consortium), QMSum splits (MIT, Yale-LILY),
ICSI Meeting Corpus (CC BY 4.0, ICSI Berkeley).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rouge_score import rouge_scorer

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "meetings"
sys.path.insert(0, str(REPO))

from summarizer.digest import Digest, digest  # noqa: E402
from summarizer.facts import MeetingFacts, Utterance  # noqa: E402
from summarizer.rules import RulesExtractor  # noqa: E402

SPLITS = ("ami-train", "icsi-tune", "ami-val", "icsi-report")
METRICS = ("rouge1", "rouge2", "rougeL")


@dataclass
class Meeting:
    id: str
    split: str
    utterances: list[Utterance]
    gold: str


@dataclass
class SplitResult:
    split: str
    skipped: int = 0
    scores: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in METRICS})
    words: list[int] = field(default_factory=list)
    gold_words: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    meetings: dict[str, dict[str, Any]] = field(default_factory=dict)


def load(split: str) -> tuple[list[Meeting], int]:
    """The meetings of one split with a non-empty abstract, and how many were skipped."""
    corpus = split.split("-")[0]
    files = sorted((DATA / corpus).glob("*.json"))
    if corpus == "icsi":
        cut = len(files) * 2 // 3
        files = files[:cut] if split == "icsi-tune" else files[cut:]
    meetings, skipped = [], 0
    for path in files:
        raw = json.loads(path.read_text())
        if corpus == "ami" and raw["split"] != (
            "QMSum train" if split == "ami-train" else "QMSum val"
        ):
            continue
        gold = raw["gold"]["summary"].strip()
        if not gold:
            skipped += 1
            continue
        utterances = [
            Utterance(
                f"{raw['meeting_id']}-{line['turn']}",
                line["speaker"],
                float(line.get("start", line["turn"])),
                line["text"],
            )
            for line in raw["transcript"]
        ]
        meetings.append(Meeting(raw["meeting_id"], split, utterances, gold))
    return meetings, skipped


def summarise(meeting: Meeting) -> tuple[Digest, float]:
    """The digest as the engine makes it (rules ledger first), and the seconds digest took."""
    ledger, _moments = RulesExtractor(MeetingFacts(meeting.id)).extract(meeting.utterances)
    started = time.perf_counter()
    result = digest(meeting.utterances, ledger, "en")
    return result, time.perf_counter() - started


def run(split: str, limit: int | None, scorer: rouge_scorer.RougeScorer) -> SplitResult:
    meetings, skipped = load(split)
    result = SplitResult(split, skipped)
    for meeting in meetings[:limit]:
        summary, seconds = summarise(meeting)
        scores = scorer.score(meeting.gold, summary.overview)
        for metric in METRICS:
            result.scores[metric].append(scores[metric].fmeasure)
        result.words.append(len(summary.overview.split()))
        result.gold_words.append(len(meeting.gold.split()))
        result.seconds.append(seconds)
        result.meetings[meeting.id] = {
            **{m: round(scores[m].fmeasure, 4) for m in METRICS},
            "words": result.words[-1],
            "gold_words": result.gold_words[-1],
            "seconds": round(seconds, 3),
            "overview": summary.overview,
            "key_points": summary.key_points,
            "decisions": summary.decisions,
            "open_questions": summary.open_questions,
        }
    return result


def row(r: SplitResult) -> dict[str, Any]:
    out: dict[str, Any] = {"split": r.split, "meetings": len(r.words), "skipped": r.skipped}
    for metric in METRICS:
        out[f"{metric}_median"] = round(statistics.median(r.scores[metric]), 4)
        out[f"{metric}_mean"] = round(statistics.mean(r.scores[metric]), 4)
    out["words_median"] = statistics.median(r.words)
    out["gold_words_median"] = statistics.median(r.gold_words)
    out["seconds_per_meeting"] = round(statistics.mean(r.seconds), 4)
    out["seconds_max"] = round(max(r.seconds), 4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--splits", nargs="+", choices=SPLITS, default=list(SPLITS))
    parser.add_argument("--limit", type=int, help="meetings per split (for a quick timing)")
    parser.add_argument("--example", default="ES2009b", help="meeting whose overview to show")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "minutes.json")
    args = parser.parse_args()
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    results = [run(split, args.limit, scorer) for split in args.splits]
    rows = [row(r) for r in results if r.words]
    print(
        f"{'split':12} {'n':>3}  {'R1 med/mean':>13}  {'R2 med/mean':>13}  {'RL med/mean':>13}"
        f"  {'words/gold':>10}  {'s/meeting (max)':>15}"
    )
    for r in rows:
        print(
            f"{r['split']:12} {r['meetings']:>3}"
            + "".join(f"  {r[f'{m}_median']:.3f} / {r[f'{m}_mean']:.3f}" for m in METRICS)
            + f"  {r['words_median']:>4.0f}/{r['gold_words_median']:<5.0f}"
            + f"  {r['seconds_per_meeting']:.3f} ({r['seconds_max']:.3f})"
        )
    example = next((r.meetings[args.example] for r in results if args.example in r.meetings), None)
    if example is None and results and results[0].meetings:
        args.example, example = next(iter(results[0].meetings.items()))
    if example is not None:
        print(f"\nExample overview ({args.example}, R1 {example['rouge1']:.3f}):\n")
        print(example["overview"])
        for name in ("key_points", "decisions", "open_questions"):
            print(f"\n{name}:")
            for line in example[name]:
                print(f"  - {line}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {"rows": rows, "meetings": {r.split: r.meetings for r in results}},
            indent=1,
            ensure_ascii=False,
        )
    )
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
