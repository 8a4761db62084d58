"""Object stores for recordings: a local directory, or an S3-compatible bucket (MinIO, AWS).

Both promise the same: `put` returns only once the object is durable and replaces any
object under the key whole (readers never see half an object); `read` serves a byte range,
so the gateway answers HTTP Range requests without loading a whole chunk.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from vori.settings import RecordingsSettings, Settings

if TYPE_CHECKING:
    from minio import Minio


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime


class ObjectStoreError(RuntimeError):
    """The store cannot be used (missing client library, bad configuration)."""


class ObjectStoreUnavailableError(ObjectStoreError):
    """A store operation failed for now (disk full, server unreachable): try again later."""


@contextlib.contextmanager
def _local_errors(action: str, key: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise ObjectStoreUnavailableError(f"{action} {key!r}: {exc}") from exc


@contextlib.contextmanager
def _s3_errors(action: str, key: str) -> Iterator[None]:
    from minio.error import MinioException
    from urllib3.exceptions import HTTPError

    try:
        yield
    except (MinioException, HTTPError, OSError) as exc:
        raise ObjectStoreUnavailableError(f"{action} {key!r}: {exc}") from exc


class ObjectStore(Protocol):
    """What the archiver writes and the gateway reads."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key`` durably, replacing any object there."""

    def read(self, key: str, start: int = 0, length: int | None = None) -> bytes | None:
        """Bytes ``[start, start+length)`` of an object (to its end without a length);
        None if there is no such object."""

    def stat(self, key: str) -> ObjectInfo | None:
        """Size and modification time of an object, None if there is none."""

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Every object whose key starts with ``prefix``, by key."""

    def delete(self, keys: list[str]) -> None:
        """Remove these objects; missing ones are fine."""


class LocalObjectStore:
    """Objects as files under a root directory, written atomically and fsync'ed."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"key {key!r} leaves the store")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        with _local_errors("put", key):
            self._put(self._path(key), data)

    def _put(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        # The rename is durable once its directory is.
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def read(self, key: str, start: int = 0, length: int | None = None) -> bytes | None:
        path = self._path(key)
        with _local_errors("read", key):
            try:
                with path.open("rb") as source:
                    source.seek(start)
                    return source.read() if length is None else source.read(length)
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                return None

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            status = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return ObjectInfo(key, status.st_size, datetime.fromtimestamp(status.st_mtime, UTC))

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        with _local_errors("list", prefix):
            return sorted(self._walk(prefix), key=lambda info: info.key)

    def _walk(self, prefix: str) -> Iterator[ObjectInfo]:
        # Start at the deepest directory the prefix names whole.
        head = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        base = self._path(head) if head else self.root
        if not base.is_dir():
            return
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                if name.startswith(".part-"):
                    continue
                path = Path(dirpath) / name
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    status = path.stat()
                    yield ObjectInfo(
                        key, status.st_size, datetime.fromtimestamp(status.st_mtime, UTC)
                    )

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            path = self._path(key)
            with _local_errors("delete", key), contextlib.suppress(FileNotFoundError):
                path.unlink()
            # Drop directories the deletion emptied, up to the root.
            parent = path.parent
            while parent != self.root:
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent


class S3ObjectStore:
    """Objects in a bucket of an S3-compatible server, through the MinIO client."""

    def __init__(self, client: Minio, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    @classmethod
    def from_settings(cls, recordings: RecordingsSettings) -> S3ObjectStore:
        try:
            from minio import Minio
        except ImportError as exc:  # the `s3` extra is not installed
            raise ObjectStoreError(
                "VORI_RECORDINGS__STORE=s3 needs the MinIO client: pip install 'vori[s3]'"
            ) from exc
        if not recordings.s3_endpoint:
            raise ObjectStoreError("VORI_RECORDINGS__STORE=s3 needs VORI_RECORDINGS__S3_ENDPOINT")
        access = recordings.s3_access_key
        secret = recordings.s3_secret_key
        client = Minio(
            recordings.s3_endpoint,
            access_key=access.get_secret_value() if access else None,
            secret_key=secret.get_secret_value() if secret else None,
            secure=recordings.s3_secure,
            region=recordings.s3_region,
        )
        return cls(client, recordings.s3_bucket)

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist (the archiver does, once at start)."""
        with _s3_errors("create bucket", self.bucket):
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        # A single PUT: S3 makes the object visible whole, and only after it is stored.
        with _s3_errors("put", key):
            self.client.put_object(
                self.bucket, key, io.BytesIO(data), len(data), content_type=content_type
            )

    def read(self, key: str, start: int = 0, length: int | None = None) -> bytes | None:
        from minio.error import S3Error

        with _s3_errors("read", key):
            try:
                response = self.client.get_object(
                    self.bucket, key, offset=start, length=length if length is not None else 0
                )
            except S3Error as exc:
                if exc.code in ("NoSuchKey", "NoSuchObject", "InvalidRange"):
                    return None
                raise
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

    def stat(self, key: str) -> ObjectInfo | None:
        from minio.error import S3Error

        with _s3_errors("stat", key):
            try:
                found = self.client.stat_object(self.bucket, key)
            except S3Error as exc:
                if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                    return None
                raise
        return ObjectInfo(key, found.size or 0, found.last_modified or datetime.now(UTC))

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        with _s3_errors("list", prefix):
            found = self.client.list_objects(self.bucket, prefix=prefix, recursive=True)
            return sorted(
                (
                    ObjectInfo(item.object_name or "", item.size or 0, item.last_modified or _EPOCH)
                    for item in found
                    if item.object_name and not item.is_dir
                ),
                key=lambda info: info.key,
            )

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            with _s3_errors("delete", key):
                self.client.remove_object(self.bucket, key)


_EPOCH = datetime.fromtimestamp(0, UTC)


def recordings_dir(settings: Settings) -> Path:
    """The local store's directory: its setting, or DATA_DIR/recordings."""
    return settings.recordings.dir or settings.data_dir / "recordings"


def open_store(settings: Settings) -> ObjectStore:
    """The recordings store the settings name."""
    if settings.recordings.store == "s3":
        return S3ObjectStore.from_settings(settings.recordings)
    return LocalObjectStore(recordings_dir(settings))
