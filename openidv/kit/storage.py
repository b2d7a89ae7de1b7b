"""Sealed files under `<data_dir>/files/`: every byte encrypted with the key ring (openidv.kit.crypto),
bound to its name so a file cannot be swapped for another."""

from pathlib import Path

from openidv.kit import crypto


def _path(data_dir: Path, name: str) -> Path:
    if not name.replace("-", "").replace("_", "").replace(".", "").isalnum() or ".." in name:
        raise ValueError("bad file name")
    return Path(data_dir) / "files" / name


def put(data_dir: Path, name: str, data: bytes) -> None:
    path = _path(data_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(crypto.ring().seal(data, name))
    tmp.replace(path)


def get(data_dir: Path, name: str) -> bytes | None:
    path = _path(data_dir, name)
    return crypto.ring().open(path.read_bytes(), name) if path.exists() else None


def delete(data_dir: Path, name: str) -> None:
    _path(data_dir, name).unlink(missing_ok=True)
