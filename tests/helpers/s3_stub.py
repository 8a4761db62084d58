"""A small S3 endpoint for the S3 store's tests: path-style buckets, objects in a dict.

It speaks the calls the MinIO client makes (HEAD/PUT bucket, PUT/GET with Range/HEAD/DELETE
object, ListObjectsV2) over real HTTP, so the client's requests, signing headers and
response parsing are exercised; no signature is checked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        return

    def _split(self) -> tuple[str, str, dict[str, list[str]]]:
        url = urlsplit(self.path)
        bucket, _, key = unquote(url.path).lstrip("/").partition("/")
        return bucket, key, parse_qs(url.query)

    def _send(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _missing(self, code: str) -> None:
        body = f"<Error><Code>{code}</Code><Message>{code}</Message></Error>".encode()
        self._send(404, body, {"Content-Type": "application/xml"})

    def do_HEAD(self) -> None:
        bucket, key, _ = self._split()
        if bucket not in self.server.buckets:
            self._send(404)
        elif not key:
            self._send(200)
        elif key in self.server.buckets[bucket]:
            data = self.server.buckets[bucket][key]
            self._send(200, data, {"Last-Modified": "Thu, 01 Jan 2026 00:00:00 GMT", "ETag": '"e"'})
        else:
            self._send(404)

    def do_PUT(self) -> None:
        bucket, key, _ = self._split()
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if not key:
            self.server.buckets.setdefault(bucket, {})
        else:
            self.server.buckets[bucket][key] = body
        self._send(200, b"", {"ETag": '"e"'})

    def do_DELETE(self) -> None:
        bucket, key, _ = self._split()
        self.server.buckets.get(bucket, {}).pop(key, None)
        self._send(204)

    def do_GET(self) -> None:
        bucket, key, query = self._split()
        objects = self.server.buckets.get(bucket)
        if objects is None:
            self._missing("NoSuchBucket")
        elif not key:
            prefix = query.get("prefix", [""])[0]
            items = "".join(
                f"<Contents><Key>{escape(name)}</Key><Size>{len(data)}</Size>"
                '<LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"e"</ETag>'
                "</Contents>"
                for name, data in sorted(objects.items())
                if name.startswith(prefix)
            )
            body = (
                f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>{bucket}</Name>'
                f"<Prefix>{escape(prefix)}</Prefix><IsTruncated>false</IsTruncated>{items}"
                "</ListBucketResult>"
            ).encode()
            self._send(200, body, {"Content-Type": "application/xml"})
        elif key not in objects:
            self._missing("NoSuchKey")
        else:
            data = objects[key]
            wanted = self.headers.get("Range")
            if wanted:
                first, _, last = wanted.removeprefix("bytes=").partition("-")
                start, end = int(first), int(last) if last else len(data) - 1
                self._send(
                    206,
                    data[start : end + 1],
                    {"Content-Range": f"bytes {start}-{end}/{len(data)}"},
                )
            else:
                self._send(200, data)


class _Server(ThreadingHTTPServer):
    buckets: dict[str, dict[str, bytes]]


@contextmanager
def s3_stub() -> Iterator[tuple[str, dict[str, dict[str, bytes]]]]:
    """A running endpoint: ("127.0.0.1:port", its buckets)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.buckets = {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", server.buckets
    finally:
        server.shutdown()
        server.server_close()
