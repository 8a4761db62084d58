"""Meeting understanding on real meetings (issue 10): action items, ICSI moments, overview.

    python -m bench.meetings [--split report|tune] [--corpus ami icsi ko] [--no-detector]
                             [--rolling-words 150] [--limit N] [--out-of-fold]
                             [--local | --llm-url URL --model M] [--final-budget S]

Each meeting is replayed through the summarizer's engine as the worker runs it: a rolling
summary every `--rolling-words` new words (0: one summary at the end), then the final one.
Members are the meeting's speakers (AMI: the four roles, which is how its annotators
name owners). Detector scores come from the pinned model over e5 embeddings (cached
under .vori/cache, since embedding 90k utterances takes most of an hour on 2 cores).
Measures (bench/meeting_metrics.py): AMI action-item precision, recall, owner accuracy
and items per meeting against gold; ICSI proposal precision and coverage of labelled
utterances; the summary's decisions against the annotators' (same matching rule, every
corpus that has them); overview ROUGE-1/2/L F1 against the human abstract; seconds per
summary. With `--local` or `--llm-url` the LLM reads each summary's new speech as the
worker's does (the detector's and the rules' moments marked as the lines it may draw a task
from), and `summaries_by_rules` counts the summaries it did not answer within its budget.
Prints a table and writes bench/results/meetings.json. Tune on `--split tune`, report
`--split report` (AMI QMSum val; ICSI's hash-chosen third).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, get_args

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import llm_paths  # noqa: E402
from bench.meeting_corpus import EmbeddingCache, Meeting, load  # noqa: E402
from bench.meeting_metrics import (  # noqa: E402
    ItemScore,
    TurnScore,
    rouge,
    score_items,
    score_turns,
)
from bench.train_detector import out_of_fold_scores  # noqa: E402
from summarizer.detector import ActionDetector, DetectorModel, with_scores  # noqa: E402
from summarizer.digest import Digest  # noqa: E402
from summarizer.engine import Summarizer  # noqa: E402
from summarizer.facts import MeetingFacts, Member, Utterance  # noqa: E402
from summarizer.ledger import Ledger  # noqa: E402
from summarizer.llm_client import LlmClient  # noqa: E402
from vori.embedding import Embedder  # noqa: E402
from vori.settings import SummarizerSettings, TaskSelection, load_settings  # noqa: E402

KO_DIR = REPO / "bench" / "data" / "meetings_ko"


def facts_of(meeting: Meeting) -> MeetingFacts:
    members = tuple(Member(f"u{i}", name) for i, name in enumerate(meeting.speakers))
    when = date.fromisoformat(meeting.date) if meeting.date else date(2026, 11, 2)
    return MeetingFacts(meeting.id, meeting.language, when, "UTC", members)


def utterances_of(
    meeting: Meeting,
    model: DetectorModel | None,
    cache: EmbeddingCache,
    given: dict[tuple[str, int], float] | None = None,
) -> list[Utterance]:
    """`given`: detector scores by (meeting, turn) to use instead of the model's."""
    ids = {m: f"u{i}" for i, m in enumerate(meeting.speakers)}
    scores: dict[int, float] = {}
    if model is not None and given is not None:
        scores = {t.index: given.get((meeting.id, t.index), 0.0) for t in meeting.turns}
    elif model is not None:
        scored = [t for t in meeting.turns if len(t.text.split()) >= model.min_words]
        texts = [t.text for t in scored]
        if texts:
            probabilities = model.probabilities(texts, cache.get(texts))
            scores = {t.index: p for t, p in zip(scored, probabilities, strict=True)}
    return [
        Utterance(
            segment_id=f"{meeting.id}-{t.index}",
            speaker=t.speaker,
            at=t.start if t.start is not None else float(t.index),
            text=t.text,
            participant_id=ids.get(t.speaker),
            action_score=scores.get(t.index, 0.0) if model is not None else None,
        )
        for t in meeting.turns
    ]


def _scored(shown: list[Utterance], detector: ActionDetector | None) -> list[Utterance]:
    """As the worker does: embed and score the segments no summary has scored yet."""
    if detector is None:
        return shown
    return with_scores(shown, detector.score_unscored(shown))


def replay(
    summarizer: Summarizer,
    facts: MeetingFacts,
    spoken: list[Utterance],
    rolling_words: int,
    detector: ActionDetector | None = None,
    real_time_tail_s: float = 0.0,
) -> tuple[Any, float, int, int]:
    """`detector`: score segments live, window by window (the cost the worker pays);
    without it the scores come precomputed with the utterances. `real_time_tail_s`: the
    meeting's last seconds arrive at the pace they were spoken (the rest at once), so the
    summaries of its tail run when the worker's would."""
    ledger = Ledger(facts.meeting_id)
    seen: set[str] = set()
    previous = Digest()
    words = made = fallbacks = 0
    spoken = list(spoken)
    tail_from = spoken[-1].at - real_time_tail_s if spoken and real_time_tail_s else None
    clock: float | None = None
    for index, utterance in enumerate(spoken[:-1]):
        if tail_from is not None and utterance.at >= tail_from:
            if clock is None:
                clock = time.monotonic() - (utterance.at - tail_from)
                print(f"{facts.meeting_id}: real-time tail begins", file=sys.stderr, flush=True)
            time.sleep(max(0.0, clock + (utterance.at - tail_from) - time.monotonic()))
        words += utterance.words
        if rolling_words and words >= rolling_words:
            shown = _scored(spoken[: index + 1], detector)
            spoken[: index + 1] = shown
            outcome = summarizer.summarize(
                facts, shown, ledger, {u.segment_id for u in shown} - seen, previous
            )
            ledger, previous = outcome.ledger, outcome.digest
            seen |= {u.segment_id for u in shown}
            words, made = 0, made + 1
            fallbacks += outcome.llm_error is not None
    if tail_from is not None and clock is not None:  # the last segment, when it was said
        time.sleep(max(0.0, clock + (spoken[-1].at - tail_from) - time.monotonic()))
    started = time.perf_counter()
    spoken = _scored(spoken, detector)
    outcome = summarizer.summarize(
        facts, spoken, ledger, {u.segment_id for u in spoken} - seen, previous, final=True
    )
    fallbacks += outcome.llm_error is not None
    return outcome, time.perf_counter() - started, made + 1, fallbacks


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--split", default="report", choices=["report", "tune"])
    parser.add_argument("--corpus", nargs="+", default=["ami", "icsi", "ko"])
    parser.add_argument("--no-detector", action="store_true", help="the rules alone")
    parser.add_argument("--rolling-words", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0, help="at most N meetings per corpus")
    parser.add_argument("--only", nargs="*", help="these meeting ids only")
    parser.add_argument("--minutes", type=float, default=0, help="cut meetings at N minutes")
    parser.add_argument(
        "--live",
        action="store_true",
        help="embed and score segments window by window as the worker does (no cache): "
        "the final summary's time then includes scoring the meeting's tail",
    )
    parser.add_argument(
        "--real-time-tail",
        type=float,
        default=0.0,
        help="the last N seconds of each meeting arrive at the pace they were spoken "
        "(corpora with timings), the rest at once",
    )
    parser.add_argument(
        "--out-of-fold",
        action="store_true",
        help="tuning split only: detector scores from models that have not seen the meeting "
        "(4 meeting folds of AMI and ICSI tuning meetings, fitted as bench/train_detector.py "
        "fits; the pinned model's scores there are in-sample)",
    )
    parser.add_argument("--show", action="store_true", help="print every proposed item")
    parser.add_argument(
        "--tasks",
        default="selective",
        choices=get_args(TaskSelection),
        help="which commitments become cards (VORI_SUMMARIZER__TASKS)",
    )
    parser.add_argument("--threshold", type=float, help="override the model's task threshold")
    parser.add_argument("--candidate", type=float, help="override its candidate threshold")
    parser.add_argument("--wrap-up-bonus", type=float, help="override its wrap-up bonus")
    llm_paths.add_arguments(parser)
    parser.add_argument(
        "--final-budget",
        type=float,
        help="seconds the LLM may take for a final summary (default: the setting, "
        "VORI_SUMMARIZER__FINAL_BUDGET_S; past it the rules answer)",
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "meetings.json")
    args = parser.parse_args()
    with llm_paths.llm_clients(load_settings(), args) as clients:
        if len(clients) > 1:
            parser.error("one LLM path a run: --local or --llm-url")
        run(args, clients[0] if clients else None)


def run(args: argparse.Namespace, llm: tuple[str, LlmClient, SummarizerSettings] | None) -> None:
    model = None if args.no_detector else DetectorModel.load()
    cache = EmbeddingCache()
    thresholds = None
    if model is not None:
        thresholds = model.thresholds(args.tasks)
        thresholds = replace(
            thresholds,
            task=args.threshold if args.threshold is not None else thresholds.task,
            candidate=args.candidate if args.candidate is not None else thresholds.candidate,
        )
        if args.wrap_up_bonus is not None:
            thresholds = replace(thresholds, wrap_up_bonus=args.wrap_up_bonus)
    summarizer = Summarizer(None, thresholds=thresholds)
    if llm is not None:
        _name, client, config = llm
        summarizer = Summarizer(
            client.ask,
            thresholds=thresholds,
            max_items=config.max_items,
            max_prompt_words=config.max_prompt_words,
            budget_s=config.rolling_budget_s,
            final_budget_s=args.final_budget or config.final_budget_s,
        )
    live_detector = None
    if args.live and model is not None:
        live_detector = ActionDetector(model, Embedder(threads=1).embed)
    path = "rules" if model is None else "rules+detector"
    if llm is not None:
        path = f"{llm[0]}+{path}"
    given = None
    if args.out_of_fold and model is not None:
        if args.split != "tune":
            raise SystemExit("--out-of-fold is for --split tune")
        given = out_of_fold_scores(
            load("ami", "tune") + load("icsi", "tune"), cache, model.min_words
        )
        path += " (out of fold)"
    results: dict[str, Any] = {
        "path": path,
        "tasks": args.tasks,
        "split": args.split,
        "corpora": {},
    }
    for corpus in args.corpus:
        source = str(KO_DIR) if corpus == "ko" else corpus
        if corpus == "ko" and not KO_DIR.is_dir():
            continue
        meetings = load(source, args.split if corpus != "ko" else None)
        if args.only:
            meetings = [m for m in meetings if m.id in args.only]
        if args.minutes:
            for m in meetings:  # the first N minutes (corpora with timings)
                m.turns = [t for t in m.turns if t.start is None or t.start < args.minutes * 60]
        if args.limit:
            meetings = meetings[: args.limit]
        items, turns, decisions = ItemScore(), TurnScore(), ItemScore()
        rouges: list[dict[str, float]] = []
        final_s: list[float] = []
        summaries = answered_by_rules = 0
        per_meeting = []
        for meeting in meetings:
            facts = facts_of(meeting)
            if args.live and model is not None:
                spoken = utterances_of(meeting, None, cache)  # unscored: scored window by window
            else:
                spoken = utterances_of(meeting, model, cache, given)
            outcome, seconds, made, fallbacks = replay(
                summarizer, facts, spoken, args.rolling_words, live_detector, args.real_time_tail
            )
            final_s.append(seconds)
            summaries += made
            answered_by_rules += fallbacks
            tasks = outcome.ledger.open_tasks()
            predicted = [(t.title, t.assignee) for t in tasks]
            row: dict[str, Any] = {
                "meeting": meeting.id,
                "items": len(tasks),
                "final_s": seconds,
                "minutes": round((spoken[-1].at - spoken[0].at) / 60, 1) if spoken else 0,
            }
            if meeting.gold.get("action_items") is not None and corpus != "icsi":
                scored = score_items(predicted, meeting.gold["action_items"])
                items.add(scored)
                row.update(gold=scored.gold, matched=scored.matched)
            if meeting.gold.get("decisions"):
                said = [(d, None) for d in outcome.digest.decisions]
                gold = [{"task": d, "text": d} for d in meeting.gold["decisions"]]
                decided = score_items(said, gold)
                decisions.add(decided)
                row.update(decisions=decided.predicted, gold_decisions=decided.gold)
            if corpus == "icsi":
                index = {u.segment_id: i for i, u in enumerate(spoken)}
                proposed = [index[t.evidence[0].segment_id] for t in tasks if t.evidence]
                turns.add(score_turns(proposed, meeting.gold.get("action_item_turns", [])))
            if meeting.gold.get("summary"):
                rouges.append(rouge(outcome.digest.overview, meeting.gold["summary"]))
            per_meeting.append(row)
            if args.show:
                print(f"--- {meeting.id}: {len(tasks)} items")
                print(f"    OVERVIEW {outcome.digest.overview}")
                for t in tasks:
                    print(f"    [{t.assignee}] {t.title}   <- {t.evidence[0].quote[:90]!r}")
                for g in meeting.gold.get("action_items", []):
                    print(f"    GOLD {g.get('owner')} {g.get('text')}")
                for d in outcome.digest.decisions:
                    print(f"    DECIDED {d}")
                for d in meeting.gold.get("decisions", []):
                    print(f"    GOLD DECISION {d}")
        summary: dict[str, Any] = {
            "meetings": len(meetings),
            "final_summary_s_median": statistics.median(final_s) if final_s else None,
            "final_summary_s_max": max(final_s, default=None),
        }
        if llm is not None:  # summaries the LLM did not answer in time (or at all)
            summary["summaries_by_rules"] = f"{answered_by_rules}/{summaries}"
        if items.gold:
            summary.update(
                precision=items.precision,
                recall=items.recall,
                owner_accuracy=items.owner_accuracy,
                items_per_meeting=items.predicted / max(1, items.meetings),
                gold_per_meeting=items.gold / max(1, items.meetings),
            )
        if decisions.gold:
            summary.update(
                decision_precision=decisions.precision,
                decision_recall=decisions.recall,
                decisions_per_meeting=decisions.predicted / max(1, decisions.meetings),
                gold_decisions_per_meeting=decisions.gold / max(1, decisions.meetings),
            )
        if turns.labelled:
            summary.update(
                icsi_precision=turns.precision,
                icsi_coverage=turns.coverage,
                proposals_per_meeting=turns.proposals / max(1, len(meetings)),
            )
        if rouges:
            for name in ("rouge1", "rouge2", "rougeL"):
                summary[name] = statistics.mean(r[name] for r in rouges)
        summary["per_meeting"] = per_meeting
        results["corpora"][corpus] = summary
        print(f"{corpus} ({args.split}, {path}, {len(meetings)} meetings)")
        for key, value in summary.items():
            if key != "per_meeting":
                print(
                    f"  {key:24} {value:.3f}" if isinstance(value, float) else f"  {key:24} {value}"
                )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
