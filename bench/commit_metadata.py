"""How many open streams one audio.frames partition can carry in its commit metadata.

    .venv/bin/python -m bench.commit_metadata

The transcriber commits every open stream's checkpoint (segmenter position and prompt
context) with its partition's offset (transcriber/offsets.py), within Kafka's
`offset.metadata.max.bytes` (vori keeps under 4,000 B). Contexts are shrunk to fit;
past a point even empty contexts do not fit and the commit fails. This fills one
partition's metadata with streams whose ids look like vori's and whose contexts are the
last 200 characters of real transcripts from the shared speech data (English and
Korean), and records where contexts start to shrink and where nothing fits any more.
Writes bench/results/commit-metadata.json.
"""

from __future__ import annotations

import base64
import json
import random
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from transcriber.offsets import (  # noqa: E402
    DEFAULT_METADATA_MAX_BYTES,
    MetadataTooLargeError,
    encode_checkpoints,
)
from transcriber.segmenter import Checkpoint  # noqa: E402
from transcriber.stream import StreamCheckpoint  # noqa: E402

SPEECH = REPO.parent / "shared" / "data" / "speech"
CONTEXT_CHARS = 200  # TranscriberSettings.max_context_chars' default


def _texts(language: str) -> list[str]:
    texts = []
    for manifest in sorted((SPEECH / language).glob("*/manifest.jsonl")):
        for line in manifest.read_text().splitlines():
            texts.append(json.loads(line)["text"])
    return texts


def _limits(language: str, seed: int = 1) -> dict[str, int]:
    rng = random.Random(seed)
    pool = _texts(language)

    def context() -> str:
        text = ""
        while len(text) < CONTEXT_CHARS:
            text += " " + rng.choice(pool)
        return text[-CONTEXT_CHARS:]

    full = fits = 0
    for streams in range(1, 1000):
        checkpoints = {
            f"mtg_{rng.getrandbits(80):020x}:usr_{rng.getrandbits(80):020x}:mic": StreamCheckpoint(
                Checkpoint(rng.randrange(10**8), None), context(), last_seen_ms=1_796_000_000_000
            )
            for _ in range(streams)
        }
        try:
            metadata = encode_checkpoints(checkpoints)
        except MetadataTooLargeError:
            break
        body = json.loads(zlib.decompress(base64.b64decode(metadata)))["s"]
        if all(len(entry[2]) == CONTEXT_CHARS for entry in body.values()):
            full = streams
        fits = streams
    return {"texts": len(pool), "streams_with_full_context": full, "streams_that_fit": fits}


def main() -> None:
    result = {
        "at": datetime.now(UTC).isoformat(),
        "metadata_max_bytes": DEFAULT_METADATA_MAX_BYTES,
        "context_chars": CONTEXT_CHARS,
        "languages": {language: _limits(language) for language in ("en", "ko")},
    }
    out = REPO / "bench" / "results" / "commit-metadata.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
