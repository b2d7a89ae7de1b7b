"""`openidv lists load` in a real subprocess: summary, a refused file, and the snapshot that stays."""

import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent.parent / "screening" / "fixtures"


def _openidv(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "openidv.cli", *args, "--data-dir", str(data_dir)], capture_output=True, text=True, timeout=120, env={k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")})


def test_lists_load_cli(tmp_path: Path) -> None:
    assert _openidv(tmp_path, "migrate").returncode == 0
    good = _openidv(tmp_path, "lists", "load", str(FIXTURES / "un.xml"), "--source", "un", "--list", "UN SC")
    assert good.returncode == 0, good.stderr
    assert "list UN SC (un, sanction): version 1 in service" in good.stdout and "1 added" in good.stdout
    truncated = tmp_path / "cut.xml"
    truncated.write_bytes((FIXTURES / "un.xml").read_bytes()[:400])
    bad = _openidv(tmp_path, "lists", "load", str(truncated), "--source", "un", "--list", "UN SC")
    assert bad.returncode == 1 and "malformed or truncated XML" in bad.stderr and "previous snapshot stays in service" in bad.stderr
    again = _openidv(tmp_path, "lists", "load", str(FIXTURES / "un.xml"), "--source", "un", "--list", "UN SC")
    assert "unchanged, version 1 stays in service" in again.stdout
    unknown = _openidv(tmp_path, "lists", "load", str(FIXTURES / "un.xml"), "--source", "acme")
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr
