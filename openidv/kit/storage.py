"""Sealed files in the configured store: every byte encrypted with the key ring (openidv.kit.crypto) before
it leaves the process, bound to its name so a file cannot be swapped for another.

The store comes from `OPENIDV_STORAGE_URL` (`openidv.config.Settings.store`, built once per process and
handed out by the composition root through `openidv.kit.file_links.Files.store`):

- `file:///path` (default: `<data_dir>/files`): a local folder written by openidv itself, folders 0700 and
  files 0600 from the moment they exist (obstore's local store creates them with the umask), replaced
  atomically;
- `s3://bucket/prefix`, `gs://bucket/prefix`, `az://container/prefix`: object stores through obstore, so
  several API servers and workers on several hosts see the same files;
- `memory://`: this process only (tests).

`open_store` refuses an unknown scheme or a store it cannot list at startup with a `StorageError` that
says what is wrong (the CLI prints it without a traceback)."""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import obstore
from obstore.store import MemoryStore, from_url
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from openidv.kit import crypto

DIR_MODE = 0o700
FILE_MODE = 0o600
SCHEMES = ("file", "memory", "s3", "gs", "az")
PROBE_RETRY = {"max_retries": 1, "retry_timeout": datetime.timedelta(seconds=10)}


class StorageError(RuntimeError):
    """The configured store is unusable (unknown scheme, bad option, unreachable bucket)."""


class Store(Protocol):
    """Where sealed bytes are kept, by name; `url` names it in messages (no credentials)."""

    url: str

    def write(self, name: str, data: bytes) -> None: ...

    def read(self, name: str) -> bytes | None: ...

    def remove(self, name: str) -> None: ...

    def check(self) -> None:
        """Raise StorageError unless the store can be used now (called once, when it is opened)."""


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as a 0700 folder; an existing one that others could read is tightened."""
    path = Path(path)
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> None:
    """Create `path` empty as 0600 if missing (before another library opens it with the default mode); an
    existing one that others could read is tightened. An existing file is never opened: closing any descriptor of
    a SQLite database drops every POSIX lock this process's connections hold on it, and another process then takes
    their WAL for abandoned ("disk I/O error" here)."""
    if not os.path.exists(path):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    if Path(path).stat().st_mode & 0o077:
        os.chmod(path, FILE_MODE)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


class FolderStore:
    """A local folder (0700) of 0600 files, each written to a temporary file and renamed into place."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.url = self.folder.resolve().as_uri()

    def write(self, name: str, data: bytes) -> None:
        path = self.folder / name
        private_dir(self.folder)
        tmp = path.with_suffix(".tmp")
        _write_private(tmp, data)
        tmp.replace(path)

    def read(self, name: str) -> bytes | None:
        path = self.folder / name
        return path.read_bytes() if path.exists() else None

    def remove(self, name: str) -> None:
        (self.folder / name).unlink(missing_ok=True)

    def check(self) -> None:
        try:
            private_dir(self.folder)
        except OSError as exc:
            raise StorageError(f"OPENIDV_STORAGE_URL {self.url}: cannot use the folder: {exc}") from None


class ObjectStore:
    """An obstore store (S3, GCS, Azure, memory); `probe` is the same store with a short retry budget,
    used once to check it is reachable."""

    def __init__(self, store: Any, url: str, probe: Any = None) -> None:
        self.store, self.url, self.probe = store, url, probe

    def write(self, name: str, data: bytes) -> None:
        obstore.put(self.store, name, data)

    def read(self, name: str) -> bytes | None:
        try:
            return bytes(obstore.get(self.store, name).bytes())
        except FileNotFoundError:
            return None

    def remove(self, name: str) -> None:
        obstore.delete(self.store, name)

    def check(self) -> None:
        """List at most one object under the prefix: a missing bucket, refused credentials or an unreachable
        endpoint fail here rather than on the first upload."""
        try:
            next(iter(obstore.list(self.probe or self.store, chunk_size=1)), None)
        except Exception as exc:  # noqa: BLE001 - obstore's errors (and OSError) say what failed
            raise StorageError(f"OPENIDV_STORAGE_URL {self.url}: the store cannot be reached: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def open_store(url: str, options: Mapping[str, Any] | None = None, *, check: bool = True) -> Store:
    """The store `url` names, configured by `options` (obstore's per-store configuration keys, e.g. for S3
    `endpoint`, `region`, `access_key_id`, `secret_access_key`; its HTTP client's under `client_options`;
    an `http://` endpoint allows plain HTTP). Values the options leave out come from the environment
    (AWS_*, GOOGLE_*, AZURE_* variables). Checked at once unless `check` is false."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    shown = f"{scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
    if scheme not in SCHEMES:
        listed = ", ".join(f"{s}://" for s in SCHEMES)
        raise StorageError(f"OPENIDV_STORAGE_URL {shown}: unknown scheme {scheme!r} (use one of {listed})")
    store: Store
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise StorageError(f"OPENIDV_STORAGE_URL {shown}: a folder is named by an absolute path, file:///srv/openidv-files")
        store = FolderStore(Path(unquote(parts.path)))
    elif scheme == "memory":
        store = ObjectStore(MemoryStore(), "memory://")
    else:
        config: dict[str, Any] = dict(options or {})
        client: Any = dict(config.pop("client_options", None) or {})
        if str(config.get("endpoint", config.get("aws_endpoint", ""))).startswith("http://"):
            client.setdefault("allow_http", True)
        try:
            build: Any = from_url  # the options are checked by obstore at run time, not by its overloads
            made = build(url, config=config or None, client_options=client or None)
            probe = build(url, config=config or None, client_options=client or None, retry_config=PROBE_RETRY)
        except Exception as exc:  # noqa: BLE001 - obstore's errors say which option is wrong
            raise StorageError(f"OPENIDV_STORAGE_URL {shown}: {_first_line(exc)}") from None
        store = ObjectStore(made, shown, probe)
    if check:
        store.check()
    return store


def _name(name: str) -> str:
    if not name.replace("-", "").replace("_", "").replace(".", "").isalnum() or ".." in name:
        raise ValueError("bad file name")
    return name


def put(store: Store, name: str, data: bytes) -> None:
    store.write(_name(name), crypto.ring().seal(data, name))


def get(store: Store, name: str) -> bytes | None:
    sealed = store.read(_name(name))
    return crypto.ring().open(sealed, name) if sealed is not None else None


def delete(store: Store, name: str) -> None:
    store.remove(_name(name))


def on_rollback(session: Session, undo: Callable[[], None]) -> None:
    """Call `undo` if the transaction that wrote some files rolls back (a commit keeps them), so a refused
    request leaves no orphaned files."""
    state = {"open": True}

    def committed(_session: Session) -> None:
        state["open"] = False

    def rolled_back(_session: Session) -> None:
        if state["open"]:
            state["open"] = False
            undo()

    sa_event.listen(session, "after_commit", committed, once=True)
    sa_event.listen(session, "after_rollback", rolled_back, once=True)


def put_in_transaction(session: Session, store: Store, files: dict[str, bytes]) -> None:
    """Seal `files` ({name: content}) now, deleted again if `session`'s transaction rolls back."""
    for name, content in files.items():
        put(store, name, content)

    def undo() -> None:
        for name in files:
            delete(store, name)

    on_rollback(session, undo)


def delete_after_commit(session: Session, store: Store, names: list[str]) -> None:
    """Delete files once `session` commits (a redaction rolled back keeps what it had)."""

    def delete_files(_session: Session) -> None:
        for name in names:
            delete(store, name)

    sa_event.listen(session, "after_commit", delete_files, once=True)
