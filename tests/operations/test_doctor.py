"""`openidv doctor` on a deployment that is fine and on ones that are not: real settings, a real database
(migrated, or not, or unreachable), a real data folder; run as the command, exit code and lines checked."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BACKEND = os.environ.get("OPENIDV_TEST_DB", "sqlite")
CLOSED = "postgresql://postgres@127.0.0.1:1/closed"


def _doctor(env: dict[str, str], data_dir: Path) -> tuple[int, dict[str, tuple[str, str]]]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")} | env
    done = subprocess.run([sys.executable, "-m", "openidv.cli", "doctor", "--data-dir", str(data_dir)], env=clean, capture_output=True, text=True,
                          timeout=120, check=False)
    lines = {}
    for line in done.stdout.splitlines()[:-1]:
        status, name, *detail = line.split(maxsplit=2)
        lines[name] = (status, detail[0] if detail else "")
    assert done.stdout.splitlines()[-1] in ("ready", f"{sum(s == 'fail' for s, _ in lines.values())} check(s) failed: "
                                            + ", ".join(n for n, (s, _) in lines.items() if s == "fail")), done.stdout
    return done.returncode, lines


def _secrets(settings) -> dict[str, str]:
    return {"OPENIDV_" + name.upper(): value for name, value in settings.secrets.items()}


def test_a_good_deployment_passes(settings, tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    code, lines = _doctor({"OPENIDV_DATABASE_URL": settings.resolved_database_url, **_secrets(settings)}, data)
    assert code == 0, lines
    assert {name: status for name, (status, _) in lines.items()} == {
        "settings": "ok", "base_url": "ok", "secrets": "ok", "data_dir": "ok", "database": "ok", "migrations": "ok", "clock": "ok", "storage": "ok"}
    assert "ahead of" in lines["clock"][1] or "behind" in lines["clock"][1]
    assert not any(value in line for value in settings.secrets.values() for _, line in lines.values())  # no secret printed


def test_a_production_deployment_on_http_with_an_open_folder_fails(settings, tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)
    env = {"OPENIDV_DATABASE_URL": settings.resolved_database_url, "OPENIDV_BASE_URL": "http://idv.example.com", **_secrets(settings),
           "OPENIDV_SECRET_KEY": "s3cr3t-x"}
    code, lines = _doctor(env, data)
    assert code == 1
    assert lines["base_url"][0] == "fail" and "https" in lines["base_url"][1]
    assert lines["data_dir"][0] == "warn" and "chmod 700" in lines["data_dir"][1]
    assert lines["secrets"][0] == "warn" and "OPENIDV_SECRET_KEY" in lines["secrets"][1]
    assert "s3cr3t-x" not in "".join(detail for _, detail in lines.values())


def test_an_unmigrated_embedded_database_fails(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "openidv.db").touch(mode=0o600)  # an empty SQLite file: reachable, never migrated
    code, lines = _doctor({}, data)
    assert code == 1
    assert lines["database"][0] == "ok" and lines["migrations"][0] == "fail" and "openidv migrate" in lines["migrations"][1]
    assert lines["secrets"][0] == "warn"  # embedded mode generates them at first start; the doctor generates nothing
    assert not (data / "secrets.json").exists()


@pytest.mark.skipif(BACKEND != "postgresql", reason="a fleet's database")
def test_a_fleet_without_secrets_or_database_fails(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    code, lines = _doctor({"OPENIDV_DATABASE_URL": CLOSED}, data)
    assert code == 1
    assert lines["secrets"][0] == "fail" and "OPENIDV_ENCRYPTION_KEYS" in lines["secrets"][1]
    assert lines["database"][0] == "fail" and "migrations" not in lines
