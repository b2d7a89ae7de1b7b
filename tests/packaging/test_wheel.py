"""The wheel stands on its own: built from the checkout, installed with --no-deps into a fresh virtual
environment outside it, it sets up a data folder, creates an API key and serves, from a working directory
outside the checkout, with everything it reads (migrations, templates, the webhook event names) inside
the package. The fresh environment borrows the third-party packages of the project's own environment
through a .pth line (a plain path: .venv's .pth files, the editable install's finder among them, are not
run), and its own site-packages comes first, so `openidv` is the wheel's."""

import importlib.metadata
import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
BACKEND = os.environ.get("OPENIDV_TEST_DB", "sqlite")

# The wheel does not depend on the database under test: it runs once, in the SQLite pass.
pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="the packaging test runs in the SQLite pass only")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without openidv's settings and without anything that changes Python's search path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENIDV_", "PYTHON", "VIRTUAL_ENV", "PIP_TARGET", "PIP_PREFIX"))}
    return env | extra


def _run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    done = subprocess.run(command, cwd=cwd, env=env or clean_env(), capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return done.stdout


def _can_build_without_isolation() -> bool:
    """This environment's setuptools builds the wheel offline when it meets pyproject's floor and has bdist_wheel."""
    try:
        version = tuple(int(part) for part in importlib.metadata.version("setuptools").split(".")[:2])
    except importlib.metadata.PackageNotFoundError:
        return False
    if version >= (70, 1):
        return True
    try:
        importlib.metadata.version("wheel")
    except importlib.metadata.PackageNotFoundError:
        return False
    return version >= (68, 0)


def build_wheel(out: Path, scratch: Path) -> Path:
    """`pip wheel` of a copy of the sources (the build writes build/ and *.egg-info next to them)."""
    source = scratch / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "openidv", source / "openidv", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)]
    if _can_build_without_isolation():
        command.insert(5, "--no-build-isolation")
    _run(command, cwd=scratch)
    (wheel,) = out.glob("openidv-*.whl")
    return wheel


def fresh_venv(where: Path, wheel: Path) -> Path:
    """A new virtual environment holding the wheel, seeing the project's environment after its own."""
    _run([sys.executable, "-m", "venv", str(where)], cwd=where.parent, timeout=180)
    python = where / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)], cwd=where)
    own = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=where).strip())
    (own / "zz_openidv_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_wheel_installs_and_serves_outside_the_checkout(tmp_path: Path) -> None:
    assert not tmp_path.resolve().is_relative_to(REPO)
    wheel = build_wheel(tmp_path / "dist", tmp_path)
    python = fresh_venv(tmp_path / "venv", wheel)
    openidv = python.parent / "openidv"
    work = tmp_path / "work"
    work.mkdir()
    env = clean_env(OPENIDV_WEBHOOKS_ALLOW_PRIVATE_URLS="true", OPENIDV_LOG_LEVEL="warning")

    where = json.loads(_run([str(python), "-c", (
        "import json, openidv; from openidv.webhooks.service import event_names; "
        "print(json.dumps({'file': openidv.__file__, 'names': len(event_names()), 'account': 'account.created' in event_names()}))"
    )], cwd=work, env=env))
    assert Path(where["file"]).resolve().is_relative_to((tmp_path / "venv").resolve()), where
    assert where["names"] >= 130 and where["account"], where

    data = work / "data"
    setup = json.loads(_run([str(openidv), "setup", "--data-dir", str(data), "--json"], cwd=work, env=env))
    template = setup["environments"]["sandbox"]["templates"][0]["id"]
    key = json.loads(_run([str(openidv), "api-key", "create", "--environment", "sandbox", "--name", "wheel test", "--data-dir", str(data), "--json"],
                          cwd=work, env=env))["secret"]

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (work / "server.log").open("w")
    server = subprocess.Popen([str(openidv), "serve", "--port", str(port), "--data-dir", str(data)], cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                health = httpx.get(f"{url}/healthz", timeout=2)
                if health.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, (work / "server.log").read_text()[-5000:]
            assert time.monotonic() < deadline, "openidv serve did not answer /healthz within 90 s"
            time.sleep(0.2)
        assert health.json()["status"] == "ok"
        with httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=15) as api:
            body = {"data": {"attributes": {"name": "wheel", "url": "http://127.0.0.1:9/hook", "enabled-events": ["account.created"]}}}
            made = api.post("/webhooks", json=body)
            assert made.status_code == 201, made.text
            assert made.json()["data"]["attributes"]["enabled-events"] == ["account.created"]
        page = httpx.get(f"{url}/verify", params={"inquiry-template-id": template}, timeout=15, follow_redirects=True)  # the flow's templates ship too
        assert page.status_code == 200 and "<html" in page.text.lower(), page.text[:2000]
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
        log.close()
    errors = [line for line in (work / "server.log").read_text().splitlines() if "Traceback" in line]
    assert not errors, (work / "server.log").read_text()[-5000:]
