"""`openidv lists load|update` in a real subprocess: summary, progress, refused files, the snapshot that stays,
and downloads from a loopback HTTP server."""

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent.parent / "screening" / "fixtures"


def _openidv(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")}
    command = [sys.executable, "-m", "openidv.cli", *args, "--data-dir", str(data_dir)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env={**clean, **(env or {})})


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


def test_lists_load_new_formats_cli(tmp_path: Path) -> None:
    assert _openidv(tmp_path, "migrate").returncode == 0
    for fixture, source, name in (("eu.xml", "eu", "EU FSF"), ("uk.xml", "uk", "UK"), ("sdn_advanced.xml", "ofac-sdn", "OFAC SDN")):
        done = _openidv(tmp_path, "lists", "load", str(FIXTURES / fixture), "--source", source, "--list", name)
        assert done.returncode == 0, done.stderr
        assert f"list {name} ({source}, sanction): version 1 in service" in done.stdout and "2 entries (1 people)" in done.stdout
        assert "2/2 rows" in done.stderr  # the progress bar
    wrong = _openidv(tmp_path, "lists", "load", str(FIXTURES / "uk.xml"), "--source", "eu", "--list", "EU FSF")
    assert wrong.returncode == 1 and "unexpected root element <Designations>, expected <export>" in wrong.stderr


@pytest.fixture
def list_server(tmp_path: Path):
    """A loopback HTTP server for the official list files (what `lists update` downloads)."""
    served = tmp_path / "served"
    served.mkdir()
    (served / "un.xml").write_bytes((FIXTURES / "un.xml").read_bytes())
    (served / "broken.xml").write_bytes((FIXTURES / "eu.xml").read_bytes()[:500])
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_lists_update_downloads_configured_urls(tmp_path: Path, list_server: str) -> None:
    data = tmp_path / "data"
    assert _openidv(data, "migrate").returncode == 0
    nothing = _openidv(data, "lists", "update")
    assert nothing.returncode == 1 and "no list sources configured" in nothing.stderr
    sources = json.dumps([{"list": "UN SC", "source": "un", "url": f"{list_server}/un.xml"},
                          {"list": "EU FSF", "source": "eu", "url": f"{list_server}/broken.xml"},
                          {"list": "Gone", "source": "uk", "url": f"{list_server}/missing.xml"}])
    done = _openidv(data, "lists", "update", env={"OPENIDV_LIST_SOURCES": sources})
    assert done.returncode == 1  # two of the three failed, the third loaded
    assert "list UN SC (un, sanction): version 1 in service" in done.stdout
    assert "error: EU FSF:" in done.stderr and "malformed or truncated XML" in done.stderr
    assert "error: Gone:" in done.stderr and "404" in done.stderr
    again = _openidv(data, "lists", "update", env={"OPENIDV_LIST_SOURCES": sources[:40]})
    assert again.returncode == 1 and "OPENIDV_LIST_SOURCES is not JSON" in again.stderr


def test_scheduled_update_is_off_unless_set() -> None:
    from openidv.reports.tasks import lists_update_due

    assert not lists_update_due(0, 7200.0)
    assert lists_update_due(1, 7200.0) and lists_update_due(24, 86400.0 * 3 + 120) and not lists_update_due(24, 86400.0 * 3 + 3600)
