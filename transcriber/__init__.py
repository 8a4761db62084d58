"""transcriber: per-stream VAD segmentation and streaming faster-whisper decoding."""
