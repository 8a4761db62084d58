# One image for every vori service: ENTRYPOINT is `vori`, so a compose `command` names only
# the service (`command: ["gateway"]` runs `vori gateway`).

# Stage 1: the web app, built once (`npm ci && npm run build` -> web/dist).
FROM node:22-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/ ./
RUN npm run build

# Stage 2: the Python services, with the built web app that the gateway serves at /.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# libsndfile for soundfile (ffmpeg libraries come with the PyAV wheels); curl for healthchecks;
# a Java runtime for the Spark analytics jobs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsndfile1 curl openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/*
# A non-root user, and its data directory: a named volume mounted at /var/lib/vori starts
# as a copy of this directory, so it is writable by the user too.
RUN useradd --create-home --uid 10001 vori \
 && mkdir -p /var/lib/vori \
 && chown vori:vori /var/lib/vori
WORKDIR /app
# The locked, hash-checked dependencies first (a layer that survives code changes), then
# vori itself without resolving anything again.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock
# The `s3` extra (recordings in MinIO or any S3-compatible store), locked against the above.
COPY infra/recordings/s3-requirements.lock ./
RUN pip install --require-hashes --no-deps -r s3-requirements.lock
# Resemblyzer for its voice-encoder weights only (room microphones, transcriber/voice.py):
# without its dependencies, which would pull torch and librosa.
COPY voice-requirements.lock ./
RUN pip install --require-hashes --no-deps -r voice-requirements.lock
COPY pyproject.toml README.md ./
COPY vori ./vori
COPY gateway ./gateway
COPY stream_ingest ./stream_ingest
COPY transcriber ./transcriber
COPY summarizer ./summarizer
COPY kanban ./kanban
COPY analytics_spark ./analytics_spark
COPY infra ./infra
RUN pip install --no-deps .
COPY --from=web /web/dist ./web/dist
USER vori
ENV VORI_HOST=0.0.0.0 VORI_DATA_DIR=/var/lib/vori VORI_KAFKA__EMBEDDED=false \
    VORI_GATEWAY__WEB_DIR=/app/web/dist
ENTRYPOINT ["vori"]
CMD ["--help"]
