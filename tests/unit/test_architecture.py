"""The structure DESIGN.md promises, checked: one composition root that every process installs (the
server and a standalone worker know the same jobs, in fresh interpreters), a complete verification
kind for every step kind, and no import cycle between the top-level packages of `openidv/`."""

import ast
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from openidv import wiring
from openidv.flow import codes
from openidv.inquiry_templates.config import VERIFICATION_KINDS

PACKAGE = Path(wiring.__file__).parent
# The jobs whose absence once left verifications `submitted` for ever in distributed mode.
ESSENTIAL = {"government-id.process", "selfie.process", "selfies.purge-expired", "document-verification.process", "document.process",
             "webhooks.deliver", "inquiries.expire-due", "reports.run"}


def _fresh(code: str, tmp_path: Path) -> dict:
    """Run `code` in a new interpreter (nothing imported by this test process helps it) and read its JSON."""
    tmp_path.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")} | {"OPENIDV_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_the_worker_and_the_app_know_the_same_jobs(tmp_path: Path) -> None:
    worker = _fresh("import sys; from openidv.cli import main; sys.exit(main(['jobs', 'list', '--installed', '--json']))", tmp_path / "w")
    app = _fresh("import json; from openidv import wiring; from openidv.app import create_app; create_app(); print(json.dumps(wiring.describe(), indent=2))",
                 tmp_path / "a")
    assert worker == app
    assert ESSENTIAL <= set(worker["jobs"])
    assert {"inquiries.expire-due", "selfies.purge-expired", "webhooks.reconcile", "jobs.prune"} <= set(worker["timers"])


def test_every_step_kind_is_a_complete_verification_kind() -> None:
    kinds = {kind.name: kind for kind in wiring.KINDS}
    assert set(kinds) == set(VERIFICATION_KINDS)
    for kind in kinds.values():
        paths = {route.path for route in kind.router.routes}  # type: ignore[attr-defined]
        assert any(p.startswith("/verification/") and p.endswith("/{verification_id}") for p in paths), kind.name
        assert callable(kind.attributes)
        # The flow has a step for it: the kind's own create (with its intake, if it takes anything), or the
        # one-time-code pages (phone, e-mail).
        assert kind.create is not None or codes.handles(kind.name), kind.name
    for name in ("government-id", "selfie", "document"):  # processed out of the request: create, submit, job, redaction
        kind = kinds[name]
        assert None not in (kind.create, kind.submit, kind.processing_job, kind.forget), name
        assert kind.processing_job in wiring.JOBS


def _top_level_imports() -> dict[str, set[str]]:
    """package or module of openidv/ -> the others it imports (at module level or inside functions)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).parts
        source = parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{alias.name}" for alias in node.names] if node.module == "openidv" else [node.module]
            for name in names:
                if name.startswith("openidv.") and name.split(".")[1] != source:
                    edges[source].add(name.split(".")[1])
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(set(edges) | {n for targets in edges.values() for n in targets}):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_top_level_packages() -> None:
    edges = _top_level_imports()
    assert edges["wiring"] and "lifecycle" in edges["verifications"]  # the walk sees imports at all
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_lower_layers_import_nothing_from_above() -> None:
    """kit is domain-free; checks are pure engines (no web, ORM, jobs); the lifecycle knows no resource family."""
    edges = _top_level_imports()
    assert edges.get("kit", set()) == set()
    assert edges.get("checks", set()) <= {"kit"}
    assert edges.get("lifecycle", set()) <= {"kit", "models", "events"}
    assert "inquiries" not in edges["verifications"] and "flow" not in edges["verifications"]


def test_importing_every_module_registers_nothing(tmp_path: Path) -> None:
    """Only `wiring.install` fills the registries: a fresh interpreter that imports every openidv module
    (and installs nothing) has no job, timer, renderer, loader, follow-up, observer or kind."""
    code = """
import importlib, json, pkgutil, sys
import openidv
for module in pkgutil.walk_packages(openidv.__path__, "openidv."):
    if ".migrations." not in module.name:
        importlib.import_module(module.name)
from openidv import jobs
from openidv.api import included
from openidv.events import service, snapshot
from openidv.verifications import kinds
transition = sys.modules["openidv.lifecycle.transition"]  # the package exports a function of that name
print(json.dumps({"jobs": list(jobs.registry), "timers": list(jobs.port.periodic), "renderers": len(snapshot._renderers),
                  "loaders": list(included._loaders), "follow_ups": len(service._follow_ups), "observers": list(transition._observers),
                  "kinds": [k.name for k in kinds.installed()]}))
"""
    assert _fresh(code, tmp_path / "imports") == {"jobs": [], "timers": [], "renderers": 0, "loaders": [], "follow_ups": 0, "observers": [], "kinds": []}
