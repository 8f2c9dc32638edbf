"""FileSystemMetricsRepository: every record in one JSON document on a local (or mounted) file system.

Writes are safe against concurrent writers in other threads and processes: a writer takes an exclusive
``fcntl`` lock on ``<path>.lock``, re-reads the document, adds its records, writes a temp file in the same
folder, fsyncs it and renames it over the document (``os.replace`` is atomic), so a reader sees the old or
the new document, never half of one, and no writer loses another's records. A document that cannot be
parsed raises :class:`RepositoryError` naming the path and is never overwritten.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from spark_mlops.errors import InvalidArgumentError, RepositoryError
from spark_mlops.quality.repository.base import LoadQuery, MetricsRepository
from spark_mlops.quality.repository.records import MetricRecord

__all__ = ["FileSystemMetricsRepository"]

log = logging.getLogger(__name__)

_FORMAT = "spark_mlops.metrics_repository/1"


class FileSystemMetricsRepository(MetricsRepository):
    """Stores the records in one JSON document.

    Args:
        path: The document's path (created on the first save; its folder must exist or be creatable).

    Raises:
        InvalidArgumentError: an empty path or a path that is a folder.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        text = os.fspath(path)
        if not text.strip():
            raise InvalidArgumentError("path: expected a file path for the metrics repository, got ''")
        self.path = Path(text).expanduser().absolute()
        if self.path.is_dir():
            raise InvalidArgumentError(f"path: '{self.path}' is a folder; expected a JSON file path")

    def __repr__(self) -> str:
        return f"FileSystemMetricsRepository('{self.path}')"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _load_document(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise RepositoryError(f"metrics repository '{self.path}' cannot be read: {exc}") from None
        try:
            document = json.loads(text)
            if not isinstance(document, dict) or document.get("format") != _FORMAT:
                raise ValueError(f"not a {_FORMAT} document")
            records = document["records"]
            if not isinstance(records, list):
                raise ValueError("'records' is not a list")
        except (ValueError, KeyError) as exc:
            raise RepositoryError(
                f"metrics repository '{self.path}' is corrupt ({exc}); it was left untouched — "
                "restore it from a backup or point the repository at another file"
            ) from None
        return records

    def _append(self, records: Sequence[MetricRecord]) -> None:
        with self._locked():
            existing = self._load_document()  # raises on a corrupt file, before anything is written
            document = {"format": _FORMAT, "records": existing + [r.to_json() for r in records]}
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(document, out, separators=(",", ":"))
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        log.debug("appended %d metric records to %s", len(records), self.path)

    def _read(self, query: LoadQuery) -> Iterable[MetricRecord]:
        # os.replace is atomic, so a lock-free read sees a whole document.
        try:
            parsed = [MetricRecord.from_json(r) for r in self._load_document()]
        except (KeyError, TypeError, ValueError) as exc:
            raise RepositoryError(
                f"metrics repository '{self.path}' holds a malformed record: {exc}"
            ) from None
        return [r for r in parsed if query.accepts(r)]
