"""Whisper models side by side on all shared English speech: WER and CPU per audio second.

    .venv/bin/python bench/model_ladder.py [--models tiny.en base] [--out PATH]

Issue 15 item 3 (a model ladder: a larger model for finals where the machine allows it).
Each shared English clip is transcribed on its own with faster-whisper's `transcribe()`
(beam 5, int8, one thread, English forced) by each packaged model that `vori` can load
(vori/whisper_models.py: `tiny.en` and the multilingual `base`); WER after Whisper's
English normaliser, references with their tags removed, `en/mfa` (spontaneous,
disfluent) apart from the other folders (read speech). CPU: process time over audio
time. Korean has one packaged model (`base`), so it has no ladder to measure here.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import jiwer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from faster_whisper import WhisperModel  # noqa: E402
from whisper_normalizer.english import EnglishTextNormalizer  # noqa: E402

from tests.helpers.speech_data import find_speech_dir  # noqa: E402
from vori.settings import load_settings  # noqa: E402
from vori.whisper_models import resolve_model  # noqa: E402

TAG = re.compile(r"<[^>]*>")


def english_rows(speech: Path) -> list[dict[str, object]]:
    rows = []
    for folder in sorted((speech / "en").iterdir()):
        for line in (folder / "manifest.jsonl").read_text().splitlines():
            row = json.loads(line)
            row["path"] = folder / row["wav"]
            row["scenario"] = "en-mfa" if folder.name == "mfa" else "en-other"
            rows.append(row)
    return rows


def measure(name: str, rows: list[dict[str, object]], cache: Path) -> dict[str, float]:
    normalise = EnglishTextNormalizer()
    model = WhisperModel(resolve_model(name, cache), compute_type="int8", cpu_threads=1)
    refs: dict[str, list[str]] = {"en-mfa": [], "en-other": []}
    hyps: dict[str, list[str]] = {"en-mfa": [], "en-other": []}
    audio_s = 0.0
    started = time.process_time()
    for row in rows:
        segments, _ = model.transcribe(str(row["path"]), language="en", beam_size=5)
        scenario = str(row["scenario"])
        refs[scenario].append(normalise(TAG.sub(" ", str(row["text"]))))
        hyps[scenario].append(normalise(" ".join(s.text for s in segments)))
        audio_s += float(str(row["duration_s"]))
    cpu = time.process_time() - started
    return {
        **{f"wer {k}": round(jiwer.wer(refs[k], hyps[k]), 4) for k in refs},
        "cpu_s_per_audio_s": round(cpu / audio_s, 3),
        "audio_s": round(audio_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", nargs="*", default=["tiny.en", "base"])
    parser.add_argument("--out", type=Path, default=REPO / "bench/results/model-ladder.json")
    args = parser.parse_args()
    speech = find_speech_dir()
    if speech is None:
        raise SystemExit("no shared speech data (../shared/data/speech)")
    cache = load_settings().data_dir / "models"
    rows = english_rows(speech)
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    results = {name: measure(name, rows, cache) for name in args.models}
    print(f"{'model':<10} {'WER en-mfa':>11} {'WER en-other':>13} {'CPU s / audio s':>16}")
    for name, r in results.items():
        print(
            f"{name:<10} {r['wer en-mfa']:>11.3f} {r['wer en-other']:>13.3f}"
            f" {r['cpu_s_per_audio_s']:>16.3f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "at": datetime.now(UTC).isoformat(),
                "command": "bench/model_ladder.py " + " ".join(sys.argv[1:]),
                "uptime_before": load,
                "clips": len(rows),
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
