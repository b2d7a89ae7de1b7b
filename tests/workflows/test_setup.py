"""`openidv setup` installs the starter workflows in both environments, published and enabled, once."""

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from openidv.kit.db import make_engine, session_factory, transaction
from openidv.models import Workflow, WorkflowVersion

OPENIDV = str(Path(sys.executable).parent / "openidv")


def _setup(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")}
    done = subprocess.run([OPENIDV, "setup", "--json", "--data-dir", str(data_dir)], capture_output=True, text=True, env=env, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_setup_installs_enabled_starter_workflows_once(tmp_path: Path) -> None:
    first = _setup(tmp_path)
    for environment in first["environments"].values():
        assert [w["name"] for w in environment["workflows"]] == ["Screen and decide completed inquiries", "Decline failed inquiries"]
    assert _setup(tmp_path)["environments"] == first["environments"]  # idempotent: the same workflows, nothing added
    with transaction(session_factory(make_engine(f"sqlite:///{tmp_path / 'openidv.db'}", pool_size=1))) as db:
        workflows = list(db.scalars(select(Workflow)))
        assert len(workflows) == 4 and {w.status for w in workflows} == {"enabled"}
        assert {w.trigger_event for w in workflows} == {"inquiry.completed", "inquiry.failed"}
        versions = list(db.scalars(select(WorkflowVersion)))
        assert len(versions) == 4 and {(v.status, v.number) for v in versions} == {("published", 1)}
