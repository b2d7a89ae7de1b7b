"""Failed and overdue jobs without SQL: `openidv jobs list|show|retry|cancel` (real processes on the test
database) and the dashboard's Jobs page (admins retry and cancel, with CSRF and an audit row; others only see)."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dashboard"))

from dashboard_support import csrf_of, make_user, signed_in

from openidv.jobs import runtime
from openidv.kit.clock import now
from openidv.kit.db import transaction
from openidv.models import AuditLog, Job

BIN = Path(sys.executable).parent / "openidv"


@pytest.fixture
def seeded(job_writer, recorder) -> dict[str, str]:
    """One job of each status an operator meets, by status."""
    at = now()
    rows = {
        "failed": Job(id="job_failed", name="test.jobs.record", queue="default", kwargs={"value": "again"}, state="failed",
                      run_at=at - timedelta(minutes=10), attempts=5, max_attempts=5, last_error="RuntimeError: boom", finished_at=at),
        "overdue": Job(id="job_overdue", name="webhooks.deliver", queue="deliveries", kwargs={"delivery_id": "whd_x"}, state="queued",
                       run_at=at - timedelta(minutes=5), attempts=1, max_attempts=3, locked_by="gone:1", locked_until=at - timedelta(minutes=1)),
        "running": Job(id="job_running", name="selfie.process", queue="verifications", kwargs={"verification_id": "ver_x"}, state="queued",
                       run_at=at - timedelta(minutes=5), attempts=1, max_attempts=5, locked_by="alive:2", locked_until=at + timedelta(minutes=5)),
        "queued": Job(id="job_queued", name="webhooks.deliver", queue="deliveries", kwargs={"delivery_id": "whd_y"}, state="queued",
                      run_at=at, attempts=0, max_attempts=3),
        "done": Job(id="job_done", name="reports.run", queue="default", kwargs={}, state="done", run_at=at - timedelta(minutes=2),
                    attempts=1, max_attempts=5, finished_at=at),
    }
    with transaction(job_writer) as db:
        db.add_all(rows.values())
    return {status: row.id for status, row in rows.items()}


def _job(writer, job_id: str) -> Job:
    with transaction(writer) as db:
        job = db.get(Job, job_id)
        db.expunge(job)
        return job


def _openidv(settings, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")} | {
        "OPENIDV_DATABASE_URL": settings.resolved_database_url, "OPENIDV_DATA_DIR": str(tmp_path), "OPENIDV_LOG_LEVEL": "warning",
        **{f"OPENIDV_{k.upper()}": v for k, v in settings.secrets.items()},
    }
    return subprocess.run([str(BIN), "jobs", *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def test_cli_lists_shows_retries_and_cancels(settings, job_writer, seeded, recorder, tmp_path) -> None:
    listed = _openidv(settings, tmp_path, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert {(j["id"], j["status"]) for j in json.loads(listed.stdout)} == {(seeded["failed"], "failed"), (seeded["overdue"], "overdue")}

    filtered = _openidv(settings, tmp_path, "list", "--status", "queued,running", "--queue", "deliveries", "--json")
    assert filtered.returncode == 0, filtered.stderr
    assert {j["id"] for j in json.loads(filtered.stdout)} == {seeded["overdue"], seeded["queued"]}  # overdue is a queued job too
    by_kind = _openidv(settings, tmp_path, "list", "--status", "failed,overdue,running,queued,done", "--kind", "selfie.process")
    assert by_kind.returncode == 0 and seeded["running"] in by_kind.stdout and seeded["queued"] not in by_kind.stdout

    shown = _openidv(settings, tmp_path, "show", seeded["failed"])
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) | {"run-at": None, "finished-at": None, "created-at": None} == {
        "id": seeded["failed"], "kind": "test.jobs.record", "queue": "default", "status": "failed", "attempts": 5, "max-attempts": 5,
        "run-at": None, "locked-by": None, "locked-until": None, "created-at": None, "finished-at": None, "last-error": "RuntimeError: boom",
        "kwargs": {"value": "again"}}

    retried = _openidv(settings, tmp_path, "retry", seeded["failed"], seeded["running"], seeded["done"])
    assert retried.returncode == 1  # two of the three were refused, and said so
    assert f"{seeded['failed']}: failed -> queued" in retried.stdout
    assert "is running on alive:2" in retried.stderr and "openidv jobs recover --executor alive:2" in retried.stderr
    assert f"job {seeded['done']} is done" in retried.stderr
    again = _job(job_writer, seeded["failed"])
    assert (again.state, again.attempts, again.finished_at, again.locked_by) == ("queued", 0, None, None)
    assert abs((again.run_at - now()).total_seconds()) < 60
    assert _job(job_writer, seeded["running"]).locked_by == "alive:2"  # untouched

    cancelled = _openidv(settings, tmp_path, "cancel", seeded["overdue"])
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"{seeded['overdue']}: overdue -> cancelled" in cancelled.stdout
    assert _job(job_writer, seeded["overdue"]).state == "cancelled"

    wrong = _openidv(settings, tmp_path, "list", "--status", "stuck")
    assert wrong.returncode == 2 and "status must be among" in wrong.stderr
    missing = _openidv(settings, tmp_path, "show", "job_nope")
    assert missing.returncode == 2 and "job_nope" in missing.stderr

    # the retried job runs again in a worker, and succeeds this time
    worker = runtime.Worker(job_writer, executor_id="after-retry", threads=1, poll_seconds=0.05, periodic=False)
    worker.start()
    try:
        assert recorder.arrived.wait(5)
    finally:
        worker.stop()
    assert recorder.values == ["again"]


def test_dashboard_jobs_page_retry_and_cancel_for_admins(app, engine, job_writer, seeded, db) -> None:
    make_user(engine, "admin@example.com", "admin")
    make_user(engine, "reviewer@example.com", "reviewer")
    reviewer = signed_in(app, "reviewer@example.com")
    page = reviewer.get("/dashboard/jobs")
    assert page.status_code == 200
    assert seeded["failed"] in page.text and seeded["overdue"] in page.text and "RuntimeError: boom" in page.text
    assert seeded["running"] not in page.text and seeded["queued"] not in page.text and seeded["done"] not in page.text
    assert ">Retry</button>" not in page.text and ">Cancel</button>" not in page.text
    refused = reviewer.post(f"/dashboard/jobs/{seeded['failed']}/retry", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert refused.status_code == 403
    assert _job(job_writer, seeded["failed"]).state == "failed"

    admin = signed_in(app, "admin@example.com")
    page = admin.get("/dashboard/jobs")
    assert f'aria-label="Retry {seeded["failed"]}"' in page.text and f'aria-label="Cancel {seeded["overdue"]}"' in page.text
    assert admin.get("/dashboard/jobs?status=running").text.count(seeded["running"]) == 1
    assert seeded["queued"] in admin.get("/dashboard/jobs?status=queued&queue=deliveries&kind=webhooks.deliver").text
    assert admin.get("/dashboard/jobs?status=stuck").status_code == 400
    forged = admin.post(f"/dashboard/jobs/{seeded['failed']}/retry", data={"csrf": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    csrf = csrf_of(page.text)
    assert admin.post(f"/dashboard/jobs/{seeded['failed']}/retry", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert admin.post(f"/dashboard/jobs/{seeded['overdue']}/cancel", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert admin.post(f"/dashboard/jobs/{seeded['running']}/cancel", data={"csrf": csrf}, follow_redirects=False).status_code == 409
    assert (_job(job_writer, seeded["failed"]).state, _job(job_writer, seeded["overdue"]).state) == ("queued", "cancelled")
    after = admin.get("/dashboard/jobs").text
    assert seeded["failed"] not in after and seeded["overdue"] not in after and "No jobs." in after
    db.rollback()
    audit = [(a.action, a.object_id, a.before_status, a.after_status) for a in db.scalars(select(AuditLog).order_by(AuditLog.created_at, AuditLog.id))]
    assert audit == [("job.retry", seeded["failed"], "failed", "queued"), ("job.cancel", seeded["overdue"], "overdue", "cancelled")]
