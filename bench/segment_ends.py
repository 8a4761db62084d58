"""How long after the end of speech the segmenter closes an utterance (no decoding).

    .venv/bin/python bench/segment_ends.py [--split tune|report|all] [--streams 4]
        [--relative-floor none 30 ...] [--english]

The shared Korean clips (and with `--english` every English clip, as en-mfa and
en-other) are dealt to `--streams` tracks exactly as bench/transcriber.py deals them,
fed through the segmenter with the settings in force, once per `VAD_RELATIVE_FLOOR_DB`
value. For each clip: the end of the utterance that covers its end of speech (the last
frame within 30 dB of its loud frames) minus that end of speech. Prints p50 / p95 / max
and how many utterances the clips became; no Kafka, no model.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.korean_gap import korean_clips  # noqa: E402
from bench.transcriber import Track, all_english_clips, dealt_tracks, speech_end  # noqa: E402
from tests.helpers.transcriber import SAMPLE_RATE, Clip  # noqa: E402
from transcriber.segmenter import Checkpoint, Closed, Segmenter, SegmenterConfig  # noqa: E402
from vori.settings import load_settings  # noqa: E402


def closes(config: SegmenterConfig, track: Track) -> list[tuple[int, int]]:
    """The utterances of one track, fed in 100 ms pieces as the ingest sends them."""
    segmenter = Segmenter(config, Checkpoint(0))
    piece = SAMPLE_RATE // 10
    found = []
    for i in range(0, len(track.samples), piece):
        for event in segmenter.feed(i, track.samples[i : i + piece]):
            if isinstance(event, Closed):
                found.append((event.utterance.start, event.utterance.end))
    return found


def measure(config: SegmenterConfig, tracks: list[Track]) -> tuple[list[float], int]:
    lags: list[float] = []
    utterances = 0
    for track in tracks:
        found = closes(config, track)
        utterances += len(found)
        for _clip, start, end in track.spans:
            spoken = speech_end(track.samples, start, end)
            covering = [u for u in found if u[0] <= spoken <= u[1] + SAMPLE_RATE // 2]
            if covering:
                lags.append((covering[0][1] - spoken) / SAMPLE_RATE)
    return lags, utterances


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=["tune", "report", "all"], default="tune")
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--relative-floor", nargs="*", default=["none", "30"])
    parser.add_argument("--english", action="store_true", help="also every English clip")
    args = parser.parse_args()

    pools: dict[str, list[Clip]] = {f"ko-{args.split}": korean_clips(args.split)}
    if args.english:
        for folder, pool in all_english_clips().items():
            pools.setdefault("en-mfa" if "mfa" in folder else "en-other", []).extend(pool)
    base = SegmenterConfig.from_settings(load_settings().transcriber)
    print("| clips | relative floor | clips | utterances | end - end of speech p50 / p95 / max s |")
    print("|---|---|---|---|---|")
    for name, pool in pools.items():
        tracks = dealt_tracks(args.streams, pool, "ko" if name.startswith("ko") else "en")
        for value in args.relative_floor:
            floor = None if value == "none" else float(value)
            lags, utterances = measure(dataclasses.replace(base, relative_floor_db=floor), tracks)
            p50, p95 = np.percentile(lags, [50, 95])
            print(
                f"| {name} | {value} | {len(pool)} | {utterances} | "
                f"{p50:.2f} / {p95:.2f} / {max(lags):.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
