"""stream_ingest: the audio WebSocket (auth, frame validation, acks, resume) into Kafka."""
