"""Sealed files under `<data_dir>/files/`: every byte encrypted with the key ring (openidv.kit.crypto),
bound to its name so a file cannot be swapped for another. The data folder and its folders are 0700, the files
0600: only the account openidv runs as reads them."""

import os
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from openidv.kit import crypto

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as a 0700 folder; an existing one that others could read is tightened."""
    path = Path(path)
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> None:
    """Create `path` empty as 0600 if missing (before another library opens it with the default mode); an
    existing one that others could read is tightened."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    if Path(path).stat().st_mode & 0o077:
        os.chmod(path, FILE_MODE)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _path(data_dir: Path, name: str) -> Path:
    if not name.replace("-", "").replace("_", "").replace(".", "").isalnum() or ".." in name:
        raise ValueError("bad file name")
    return Path(data_dir) / "files" / name


def put(data_dir: Path, name: str, data: bytes) -> None:
    path = _path(data_dir, name)
    private_dir(path.parent)
    tmp = path.with_suffix(".tmp")
    _write_private(tmp, crypto.ring().seal(data, name))
    tmp.replace(path)


def get(data_dir: Path, name: str) -> bytes | None:
    path = _path(data_dir, name)
    return crypto.ring().open(path.read_bytes(), name) if path.exists() else None


def delete(data_dir: Path, name: str) -> None:
    _path(data_dir, name).unlink(missing_ok=True)


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


def put_in_transaction(session: Session, data_dir: Path, files: dict[str, bytes]) -> None:
    """Seal `files` ({name: content}) now, deleted again if `session`'s transaction rolls back."""
    for name, content in files.items():
        put(data_dir, name, content)
    def undo() -> None:
        for name in files:
            delete(data_dir, name)

    on_rollback(session, undo)


def delete_after_commit(session: Session, data_dir: Path, names: list[str]) -> None:
    """Delete files once `session` commits (a redaction rolled back keeps what it had)."""

    def delete_files(_session: Session) -> None:
        for name in names:
            delete(data_dir, name)

    sa_event.listen(session, "after_commit", delete_files, once=True)
