"""requirements.lock pins every dependency `make run` and `make test` install, with hashes: each direct
dependency of pyproject.toml (and of its `test` extra) is in the lock at a version its specifier allows, and
the environment the tests run in holds exactly the locked versions. `make lock` re-pins after a change."""

import importlib.metadata
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def _locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    lines = (REPO / "requirements.lock").read_text().splitlines()
    for number, line in enumerate(lines):
        match = PIN.match(line)
        if match:
            assert line.rstrip().endswith("\\") and "--hash=sha256:" in lines[number + 1], f"{match.group(1)} has no hash"
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def _direct() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in [*project["dependencies"], *project["optional-dependencies"]["test"]]]


def test_every_dependency_is_pinned_with_hashes_at_an_allowed_version() -> None:
    pins = _locked()
    assert len(pins) > 50
    for requirement in _direct():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{requirement} but the lock pins {pins[name]}: run `make lock`"


def test_the_environment_holds_the_locked_versions() -> None:
    for name, version in _locked().items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # a platform-specific pin (its marker excludes this machine)
        assert installed == version, f"{name} {installed} is installed, the lock says {version}: run `make install`"
