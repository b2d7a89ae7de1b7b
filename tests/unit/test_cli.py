"""The command line as real subprocesses on a fresh SQLite data folder."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from openidv.auth import repository as auth_repository, service as auth
from openidv.kit.db import make_engine, session_factory, transaction

OPENIDV = str(Path(sys.executable).parent / "openidv")


def _run(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")}
    return subprocess.run([OPENIDV, *args, "--data-dir", str(data_dir)], input=stdin, capture_output=True, text=True, env=env, timeout=120, check=False)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-data")


@pytest.fixture(scope="module")
def first_setup(data_dir: Path) -> dict:
    done = _run(data_dir, "setup", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _session(data_dir: Path):
    engine = make_engine(f"sqlite:///{data_dir / 'openidv.db'}", pool_size=1)
    return transaction(session_factory(engine))


def test_setup_is_idempotent(data_dir: Path, first_setup: dict) -> None:
    envs = first_setup["environments"]
    assert set(envs) == {"sandbox", "production"}
    names = [t["name"] for t in envs["sandbox"]["templates"]]
    for name in ("Government ID and Selfie", "Government ID", "Database", "Phone", "Email", "Document"):
        assert name in names
    assert all(t["id"].startswith("itmpl_") and t["version-id"].startswith("itmplv_") for t in envs["production"]["templates"])
    assert envs["sandbox"]["id"].startswith("env_") and envs["sandbox"]["id"] != envs["production"]["id"]
    assert first_setup["admin"]["email"] and len(first_setup["admin"]["password"]) >= 12
    again = _run(data_dir, "setup", "--json")
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert second["environments"] == envs
    assert second["admin"] is None  # the password is shown once
    assert (data_dir / "secrets.json").exists()


def test_api_key_create(data_dir: Path, first_setup: dict) -> None:
    made = _run(data_dir, "api-key", "create", "--environment", "production", "--name", "ci", "--json")
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)
    assert key["secret"].startswith("persona_production_") and key["id"].startswith("api_")
    assert key["environment-id"] == first_setup["environments"]["production"]["id"]
    assert "inquiry.write" in key["permissions"]
    with _session(data_dir) as db:
        found, environment = auth.authenticate(db, f"Bearer {key['secret']}")
        assert found.id == key["id"] and environment.name == "production"
        assert key["secret"] not in (found.secret_hash or "")
    limited = _run(data_dir, "api-key", "create", "--environment", "sandbox", "--permissions", "inquiry.read")
    assert limited.returncode == 0 and limited.stdout.strip().startswith("persona_sandbox_")
    with _session(data_dir) as db:
        assert auth.authenticate(db, f"Bearer {limited.stdout.strip()}")[0].permissions == ["inquiry.read"]
    bogus = _run(data_dir, "api-key", "create", "--environment", "sandbox", "--permissions", "bogus")
    assert bogus.returncode == 2 and bogus.stderr.strip() == "error: unknown permissions: bogus" and not bogus.stdout
    replaced = _run(data_dir, "api-key", "create", "--environment", "production", "--name", "ci", "--replace", "--json")
    assert replaced.returncode == 0
    with _session(data_dir) as db:
        with pytest.raises(Exception, match="invalid|authenticated"):
            auth.authenticate(db, f"Bearer {key['secret']}")


def test_user_create_with_password_stdin(data_dir: Path, first_setup: dict) -> None:
    made = _run(data_dir, "user", "create", "--email", "rev@example.com", "--role", "reviewer", "--password-stdin", stdin="correct horse battery\n")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip().startswith("user_")
    assert "correct horse" not in made.stdout + made.stderr
    with _session(data_dir) as db:
        user = auth_repository.user_by_email(db, "rev@example.com")
        assert user.role == "reviewer" and user.id == made.stdout.strip()
        assert "correct horse" not in user.password_hash
        assert auth.verify_password(user.password_hash, "correct horse battery")
        assert not auth.verify_password(user.password_hash, "wrong")
    duplicate = _run(data_dir, "user", "create", "--email", "rev@example.com", "--role", "viewer", "--password-stdin", stdin="another one pass\n")
    assert duplicate.returncode != 0
