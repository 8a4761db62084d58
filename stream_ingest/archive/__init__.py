"""The archiver: each stream's audio from `audio.frames` into the recordings store."""
