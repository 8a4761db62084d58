"""Where streamed English loses against offline: the transcriber's core vs `transcribe()`.

    .venv/bin/python bench/english_gap.py [--folder mfa] [--split tune|report|all]
        [--streams 4] [--pause 1.0] [--config NAME:KEY=VALUE,... ...] [--clips] [--out PATH]

The English counterpart of bench/korean_gap.py, with the same machinery and no Kafka: the
clips of one shared English folder (en/mfa by default: spontaneous speech, disfluencies,
podcasts; tune = the first half in id order, report = the second) are laid end to end
with pauses of room noise on `--streams` tracks, fed as 100 ms frames through the
transcriber's own StreamTranscriber and ModelLane with the settings in force, and through
faster-whisper's `transcribe()` (beam 5, the same English model) on exactly the same
tracks and on each clip's own file. WER after Whisper's English normaliser, en/mfa's tags
removed from the references. `--clips` prints each clip where streamed and offline
differ, worst first, and every final the policy or the guard dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import jiwer
from faster_whisper import WhisperModel
from whisper_normalizer.english import EnglishTextNormalizer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.korean_gap import (  # noqa: E402
    DEALINGS,
    SPEECH,
    Score,
    TrackAudio,
    TrackText,
    decoder_for,
    offline,
    offline_per_clip,
    over_dealings,
    parse_config,
    per_clip,
    settings_with,
    streamed,
    tracks_of,
)
from bench.machine import describe  # noqa: E402
from tests.helpers.transcriber import Clip, clips  # noqa: E402
from vori.settings import load_settings  # noqa: E402
from vori.whisper_models import resolve_model  # noqa: E402

normalise = EnglishTextNormalizer()


def english_clips(folder: str, split: str) -> list[Clip]:
    """The folder's clips in id order (`other`: every folder but mfa, folder by folder): tune =
    the first half, report = the second."""
    if folder == "other":
        folders = sorted(p.parent.name for p in (SPEECH / "en").glob("*/manifest.jsonl"))
        pool = [c for f in folders if f != "mfa" for c in english_clips(f, "all")]
    else:
        pool = sorted(clips(SPEECH, f"en/{folder}").values(), key=lambda c: c.id)
    half = len(pool) // 2
    if split == "tune":
        return pool[:half]
    if split == "report":
        return pool[half:]
    return pool


def reference(clip: Clip) -> str:
    """The clip's words; en/mfa's tags (<cutoff-...>, <hes-...>, <unk>) are not words."""
    return " ".join(re.sub(r"<[^>]*>", " ", clip.text).split())


def wer(refs: list[str], hyps: list[str]) -> float:
    pairs = [(normalise(r), normalise(h)) for r, h in zip(refs, hyps, strict=True)]
    kept = [(r, h) for r, h in pairs if r.strip()]
    return float(jiwer.wer([r for r, _ in kept], [h for _, h in kept]))


def errors(ref: str, hyp: str) -> int:
    r, h = normalise(ref), normalise(hyp)
    if not r.strip():
        return len(h.split())
    out = jiwer.process_words(r, h)
    return int(out.substitutions + out.deletions + out.insertions)


def clip_wer(by_id: dict[str, Clip]) -> Score:
    """WER of each clip's text (segments given to the clip they overlap most) on a track."""

    def score(tracks: list[TrackAudio], texts: list[TrackText]) -> float:
        ids = [c for _, spans in tracks for c, _, _ in spans]
        clip_text: dict[str, str] = {}
        for (_samples, spans), text in zip(tracks, texts, strict=True):
            clip_text.update(per_clip(spans, text))
        return wer([reference(by_id[c]) for c in ids], [clip_text[c] for c in ids])

    return score


def per_folder(
    ids: list[str],
    by_id: dict[str, Clip],
    streamed: dict[str, str],
    offline: dict[str, str],
    files: dict[str, str],
) -> dict[str, dict[str, Any]]:
    """WER by shared folder (the issue asks for every folder): streamed, offline on the
    tracks, offline on each clip's own file."""
    out: dict[str, dict[str, Any]] = {}
    for folder in sorted({by_id[c].path.parent.name for c in ids}):
        mine = [c for c in ids if by_id[c].path.parent.name == folder]
        refs = [reference(by_id[c]) for c in mine]
        out[folder] = {
            "clips": len(mine),
            "streamed": round(wer(refs, [streamed[c] for c in mine]), 4),
            "offline": round(wer(refs, [offline[c] for c in mine]), 4),
            "file": round(wer(refs, [files[c] for c in mine]), 4),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folder", default="mfa")
    parser.add_argument("--split", choices=["tune", "report", "all"], default="tune")
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--pause", type=float, default=1.0)
    parser.add_argument("--config", nargs="*", default=[])
    parser.add_argument("--clips", action="store_true", help="print the clips that differ")
    parser.add_argument(
        "--dealings",
        action="store_true",
        help="streamed WER only, mean over six dealings (2-5 streams, pauses 0.7-1.5 s)",
    )
    parser.add_argument("--out", default=None, help="write the JSON here")
    args = parser.parse_args()

    pool = english_clips(args.folder, args.split)
    by_id = {c.id: c for c in pool}
    tracks = tracks_of(pool, args.streams, args.pause)
    base = load_settings()
    model_name = base.transcriber.model_en
    path = str(resolve_model(model_name, base.data_dir / "models"))
    configs = [parse_config(c) for c in args.config] or [("default", {})]
    if args.dealings:
        score = clip_wer(by_id)
        results = over_dealings(
            pool, configs, path, language="en", model=model_name, score=score, metric="WER"
        )
        if args.out:
            dealings = [{"streams": n, "pause_s": p} for n, p in DEALINGS]
            summary = {
                "folder": args.folder,
                "split": args.split,
                "dealings": dealings,
                "configs": results,
            }
            Path(args.out).write_text(json.dumps(summary, indent=2))
        return

    started = time.perf_counter()
    model = WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=2)
    off = offline(model, tracks, "en")
    off_s = time.perf_counter() - started
    files = offline_per_clip(model, pool, "en")
    del model
    ids = [c for _, spans in tracks for c, _, _ in spans]
    refs = [reference(by_id[c]) for c in ids]
    off_clip: dict[str, str] = {}
    for (_samples, spans), text in zip(tracks, off, strict=True):
        off_clip.update(per_clip(spans, text))
    off_wer = wer(refs, [off_clip[c] for c in ids])
    files_wer = wer(refs, [files[c] for c in ids])
    print(
        f"{args.folder}/{args.split}: {len(ids)} clips on {args.streams} tracks; offline "
        f"transcribe() on the tracks WER {off_wer:.4f} ({off_s:.0f} s), on each clip's file "
        f"{files_wer:.4f}",
        flush=True,
    )
    report: dict[str, object] = {
        "folder": args.folder,
        "split": args.split,
        "clips": len(ids),
        "streams": args.streams,
        "pause_s": args.pause,
        "model": model_name,
        "offline": {"wer": round(off_wer, 4), "wer_clip_files": round(files_wer, 4)},
        "configs": [],
        "load_avg": round(os.getloadavg()[0], 1),
        "machine": describe(),
    }
    for label, env in configs:
        settings = settings_with(env)
        decoder = decoder_for(settings, path, model_name)
        started = time.perf_counter()
        texts, details = streamed(settings, decoder, tracks, "en")
        seconds = time.perf_counter() - started
        st_clip: dict[str, str] = {}
        for (_samples, spans), text in zip(tracks, texts, strict=True):
            st_clip.update(per_clip(spans, text))
        st_wer = wer(refs, [st_clip[c] for c in ids])
        dropped = [d for d in details if d["dropped"]]
        differing: list[dict[str, Any]] = []
        for c in ids:
            ref = reference(by_id[c])
            e_st, e_off, e_file = (
                errors(ref, st_clip[c]),
                errors(ref, off_clip[c]),
                errors(ref, files[c]),
            )
            if e_st != e_off:
                differing.append(
                    {
                        "clip": c,
                        "errors": e_st,
                        "offline_errors": e_off,
                        "file_errors": e_file,
                        "ref": ref,
                        "streamed": st_clip[c],
                        "offline": off_clip[c],
                        "file": files[c],
                    }
                )
        lost = sum(int(d["errors"]) - int(d["offline_errors"]) for d in differing)
        folders = per_folder(ids, by_id, st_clip, off_clip, files)
        if len(folders) > 1:
            for folder, row in folders.items():
                print(
                    f"  {folder}: streamed {row['streamed']:.4f}, offline on the tracks "
                    f"{row['offline']:.4f}, on each clip's file {row['file']:.4f} "
                    f"({row['clips']} clips)"
                )
        print(
            f"{label}: streamed WER {st_wer:.4f} vs offline {off_wer:.4f} "
            f"({len(details)} finals, {len(dropped)} dropped, {len(differing)} clips differ, "
            f"net {lost:+d} errors, {seconds:.0f} s)",
            flush=True,
        )
        if args.clips:
            for d in sorted(differing, key=lambda d: int(d["offline_errors"]) - int(d["errors"])):
                print(
                    f"  {d['clip']} errors {d['errors']} vs offline {d['offline_errors']} "
                    f"(its file {d['file_errors']})\n    ref: {d['ref']}\n"
                    f"    str: {d['streamed']}\n    off: {d['offline']}"
                )
            for d in dropped:
                print(f"  dropped ({d['dropped']}): {d['raw']!r} at {d['start_s']}-{d['end_s']}")
        configs_out = report["configs"]
        assert isinstance(configs_out, list)
        configs_out.append(
            {
                "config": label,
                "env": env,
                "wer": round(st_wer, 4),
                "seconds": round(seconds, 1),
                "finals": len(details),
                "folders": folders,
                "finals_detail": sorted(details, key=lambda d: (d["track"], d["start_s"])),
                "clips_differing": differing,
            }
        )
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
