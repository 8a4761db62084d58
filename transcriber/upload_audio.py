"""An uploaded recording as audio: its parts put together, decoded, split by channel.

The parts are joined into one file and decoded with PyAV (any format FFmpeg reads) to
16 kHz s16 PCM, one file per channel, so an hour of audio is not held in memory; a channel
that only repeats the first (a mono recording saved as stereo) is dropped. `chunk_spans`
cuts a long stream at its quietest points into pieces for one transcribe() call each.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from transcriber.pcm import SAMPLE_RATE, Samples
from vori.events import RecordingUploaded
from vori.objectstore import ObjectStore

QUIET_FRAME = SAMPLE_RATE * 30 // 1000  # 30 ms: where a chunk may be cut
# A channel whose difference from the first carries less than this share of its energy
# repeats it (lossy stereo codecs leave a trace of difference on dual-mono audio).
COPY_ENERGY_RATIO = 1e-4


class UploadError(ValueError):
    """A recording that cannot be transcribed; the message says why, for its uploader."""


@dataclass(frozen=True)
class DecodedAudio:
    """A recording as 16 kHz s16 PCM files, one per kept channel."""

    paths: list[Path]
    channels: list[int]  # the file's channel number of each kept stream
    samples: int  # per channel
    source_channels: int

    @property
    def duration_s(self) -> float:
        return self.samples / SAMPLE_RATE

    def channel(self, index: int) -> Samples:
        """The samples of the index-th kept channel (memory-mapped, read-only)."""
        if self.samples == 0:
            return np.zeros(0, dtype=np.int16)
        return np.memmap(self.paths[index], dtype="<i2", mode="r", shape=(self.samples,))


def assemble_upload(store: ObjectStore, upload: RecordingUploaded, target: Path) -> Path:
    """The upload's parts, in order, as one file at `target`; UploadError when a part is
    missing or they do not add up to the upload's size."""
    written = 0
    with target.open("wb") as out:
        for key in upload.parts:
            try:
                data = store.read(key)
            except ValueError as exc:  # a key outside the store
                raise UploadError(f"part {key!r} is not in the recordings store") from exc
            if data is None:
                raise UploadError(f"part {key!r} of the upload is missing from the store")
            out.write(data)
            written += len(data)
    if written != upload.size_bytes:
        raise UploadError(f"the stored parts hold {written} bytes, the upload {upload.size_bytes}")
    return target


def decode_recording(
    source: Path, workdir: Path, *, max_duration_s: float, max_channels: int
) -> DecodedAudio:
    """Decode the first audio stream of `source` into per-channel PCM files in `workdir`.

    UploadError when it has no audio, cannot be decoded, is too long or has too many
    channels."""
    try:
        with av.open(str(source)) as container:
            if not container.streams.audio:
                raise UploadError("the file has no audio stream")
            stream = container.streams.audio[0]
            channels = stream.layout.nb_channels or stream.codec_context.channels
            if not channels:
                raise UploadError("the audio stream has no channels")
            if channels > max_channels:
                raise UploadError(f"the audio has {channels} channels; at most {max_channels}")
            splitter = ChannelSplitter(channels, workdir, max_duration_s=max_duration_s)
            resampler = av.AudioResampler(format="s16p", layout=stream.layout, rate=SAMPLE_RATE)
            try:
                for frame in container.decode(stream):
                    for out in resampler.resample(frame):
                        splitter.add(out.to_ndarray())
                for out in resampler.resample(None):
                    splitter.add(out.to_ndarray())
            finally:
                splitter.close()
    except av.FFmpegError as exc:
        reason = exc.strerror or type(exc).__name__  # not its message: it names the path
        raise UploadError(f"the file cannot be decoded as audio ({reason})") from None
    if splitter.samples == 0:
        raise UploadError("the file holds no audio samples")
    return splitter.result()


class ChannelSplitter:
    """Planar s16 blocks in, one PCM file per channel out, and which channels repeat the
    first."""

    def __init__(self, channels: int, workdir: Path, *, max_duration_s: float) -> None:
        self.paths = [workdir / f"channel-{c}.s16" for c in range(channels)]
        self._files = [path.open("wb") for path in self.paths]
        self.samples = 0
        self.max_samples = int(max_duration_s * SAMPLE_RATE)
        self._energy = np.zeros(channels)  # of each channel
        self._difference = np.zeros(channels)  # of each channel minus the first

    def add(self, planes: np.ndarray) -> None:
        """One block of shape (channels, samples)."""
        planes = np.asarray(planes, dtype=np.int16).reshape(len(self.paths), -1)
        self.samples += planes.shape[1]
        if self.samples > self.max_samples:
            raise UploadError(
                f"the recording is longer than {self.max_samples / SAMPLE_RATE / 60:.0f} minutes"
            )
        wide = planes.astype(np.float64)
        self._energy += np.sum(np.square(wide), axis=1)
        self._difference += np.sum(np.square(wide - wide[0]), axis=1)
        for out, plane in zip(self._files, planes, strict=True):
            out.write(plane.astype("<i2").tobytes())

    def close(self) -> None:
        for out in self._files:
            out.close()

    def copies(self) -> set[int]:
        """Channels after the first whose samples (nearly) repeat the first's."""
        scale = max(float(np.max(self._energy)), 1.0)
        return {
            c for c in range(1, len(self.paths)) if self._difference[c] <= COPY_ENERGY_RATIO * scale
        }

    def result(self) -> DecodedAudio:
        copies = self.copies()
        kept = [c for c in range(len(self.paths)) if c not in copies]
        for c in copies:
            self.paths[c].unlink(missing_ok=True)
        return DecodedAudio(
            [self.paths[c] for c in kept], kept, self.samples, source_channels=len(self.paths)
        )


def chunk_spans(samples: Samples, chunk: int, search: int) -> list[tuple[int, int]]:
    """Spans of at most `chunk` samples covering `samples`, each cut (but the last) at the
    quietest 30 ms frame of its last `search` samples."""
    spans: list[tuple[int, int]] = []
    start, total = 0, len(samples)
    while total - start > chunk:
        end = start + chunk
        low = max(start + 1, end - search)
        frames = (end - low) // QUIET_FRAME
        if frames > 0:
            window = np.asarray(samples[low : low + frames * QUIET_FRAME], dtype=np.float64)
            power = np.mean(np.square(window.reshape(frames, QUIET_FRAME)), axis=1)
            quietest = int(np.argmin(power))  # the first of equals: deterministic
            end = low + quietest * QUIET_FRAME + QUIET_FRAME // 2
        spans.append((start, end))
        start = end
    if total > start:
        spans.append((start, total))
    return spans
