# One image for every vori service; the command picks the service (`vori gateway`, ...).
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# libsndfile for soundfile, ffmpeg libraries come with PyAV wheels.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsndfile1 curl \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 vori
WORKDIR /app
COPY pyproject.toml README.md ./
COPY vori ./vori
COPY gateway ./gateway
COPY stream_ingest ./stream_ingest
COPY transcriber ./transcriber
COPY summarizer ./summarizer
COPY kanban ./kanban
COPY analytics_spark ./analytics_spark
COPY infra ./infra
RUN pip install .
USER vori
ENV VORI_HOST=0.0.0.0 VORI_DATA_DIR=/var/lib/vori VORI_KAFKA__EMBEDDED=false
ENTRYPOINT ["vori"]
CMD ["--help"]
