"""The audio format of the whole pipeline: PCM s16le, mono, 16 kHz (ARCHITECTURE.md, Audio).

Browsers and clients send it, stream_ingest checks it, `audio.frames` carries it, the
archiver stores it and the transcriber decodes it; every module that counts samples or
bytes takes these numbers from here instead of spelling them again.
"""

from __future__ import annotations

SAMPLE_RATE = 16_000
"""Samples per second of every stream."""
ENCODING = "pcm_s16le"
"""Signed 16-bit little-endian samples."""
BYTES_PER_SAMPLE = 2
CHANNELS = 1
BYTES_PER_SECOND = SAMPLE_RATE * BYTES_PER_SAMPLE * CHANNELS
"""32 000: one second of one stream's audio on the wire."""
