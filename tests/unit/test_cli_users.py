"""`openidv user` as real subprocesses on a fresh SQLite data folder: create (weak passwords refused), list,
set-role (with the sandbox limit), disable, enable, reset-password, require-totp; and `openidv setup`'s admin."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from openidv.auth import passwords, repository as auth_repository
from openidv.kit.db import make_engine, session_factory, transaction

OPENIDV = str(Path(sys.executable).parent / "openidv")


def _run(data_dir: Path, *args: str, stdin: str | None = None, **env_extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")} | env_extra
    return subprocess.run([OPENIDV, *args, "--data-dir", str(data_dir)], input=stdin, capture_output=True, text=True, env=env, timeout=120, check=False)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-users")
    done = _run(folder, "setup", "--json")
    assert done.returncode == 0, done.stderr
    admin = json.loads(done.stdout)["admin"]
    passwords.check_strength(admin["password"], admin["email"])  # the generated password passes the estimator
    return folder


def _user(data_dir: Path, email: str):
    engine = make_engine(f"sqlite:///{data_dir / 'openidv.db'}", pool_size=1)
    try:
        with transaction(session_factory(engine)) as db:
            user = auth_repository.user_by_email(db, email)
            db.expunge(user)
            return user
    finally:
        engine.dispose()


def test_setup_refuses_a_weak_admin_password(tmp_path: Path) -> None:
    done = _run(tmp_path, "setup", OPENIDV_ADMIN_PASSWORD="aaaaaaaaaa")
    assert done.returncode == 2 and "too easy to guess" in done.stderr


def test_user_commands(data_dir: Path) -> None:
    weak = _run(data_dir, "user", "create", "--email", "rev@example.com", "--role", "reviewer", "--password-stdin", stdin="aaaaaaaaaa\n")
    assert weak.returncode == 1 and "too easy to guess" in weak.stderr
    made = _run(data_dir, "user", "create", "--email", "rev@example.com", "--role", "reviewer", "--password-stdin", stdin="correct horse battery\n")
    assert made.returncode == 0, made.stderr

    assert _run(data_dir, "user", "set-role", "--email", "rev@example.com", "--role", "viewer", "--sandbox-only").returncode == 0
    user = _user(data_dir, "rev@example.com")
    assert (user.role, user.sandbox_only) == ("viewer", True)
    assert _run(data_dir, "user", "set-role", "--email", "rev@example.com", "--role", "reviewer").returncode == 0
    assert (_user(data_dir, "rev@example.com").role, _user(data_dir, "rev@example.com").sandbox_only) == ("reviewer", True)  # kept

    assert _run(data_dir, "user", "disable", "--email", "rev@example.com").returncode == 0
    assert _user(data_dir, "rev@example.com").disabled_at is not None
    listed = {u["email"]: u for u in json.loads(_run(data_dir, "user", "list", "--json").stdout)}
    assert listed["rev@example.com"]["disabled"] and listed["rev@example.com"]["sandbox-only"] and listed["admin@openidv.local"]["role"] == "admin"
    assert _run(data_dir, "user", "enable", "--email", "rev@example.com").returncode == 0
    assert _user(data_dir, "rev@example.com").disabled_at is None

    weak_reset = _run(data_dir, "user", "reset-password", "--email", "rev@example.com", "--password-stdin", stdin="password123\n")
    assert weak_reset.returncode == 1 and "too easy to guess" in weak_reset.stderr
    reset = _run(data_dir, "user", "reset-password", "--email", "rev@example.com", "--generate")
    assert reset.returncode == 0, reset.stderr
    new_password = reset.stdout.strip()
    assert passwords.verify_password(_user(data_dir, "rev@example.com").password_hash, new_password)
    assert not passwords.verify_password(_user(data_dir, "rev@example.com").password_hash, "correct horse battery")

    assert _run(data_dir, "user", "require-totp", "--email", "rev@example.com").returncode == 0
    assert _user(data_dir, "rev@example.com").totp_required
    assert _run(data_dir, "user", "require-totp", "--email", "rev@example.com", "--off").returncode == 0
    assert not _user(data_dir, "rev@example.com").totp_required

    nobody = _run(data_dir, "user", "disable", "--email", "nobody@example.com")
    assert nobody.returncode == 1 and "no user has the e-mail nobody@example.com" in nobody.stderr
    last_admin = _run(data_dir, "user", "disable", "--email", "admin@openidv.local")
    assert last_admin.returncode == 1 and "only enabled admin" in last_admin.stderr
    demoted = _run(data_dir, "user", "set-role", "--email", "admin@openidv.local", "--role", "viewer")
    assert demoted.returncode == 1 and _user(data_dir, "admin@openidv.local").role == "admin"
