"""The `openidv` command: setup | serve | worker | migrate | doctor | jobs | api-key | user | records | lists.

Every command installs the composition root (`openidv.wiring`) first, so each knows the same jobs,
renderers and kinds as the server."""

import argparse
import getpass
import json
import logging
import os
import signal
import sys
import threading
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy.orm import Session

from openidv import wiring
from openidv.app import create_app
from openidv.auth import passwords, repository as auth_repository, service as auth, users
from openidv.cases import service as cases
from openidv.config import Settings
from openidv.inquiry_templates import repository as templates_repository, service as templates
from openidv.inquiry_templates.config import starter_templates
from openidv.jobs import admin as jobs_admin, runtime
from openidv.kit import serving, storage
from openidv.kit.clock import now
from openidv.kit.db import make_engine, session_factory, transaction
from openidv.kit.errors import ApiError
from openidv.migrate import upgrade
from openidv.operations import doctor, logs, metrics
from openidv.providers.imported_records import import_rows, progress_bar, read_rows, summary
from openidv.reports import commands, service as reports
from openidv.screening.adapters import ListFormatError
from openidv.workflows import starters as workflow_starters

log = logging.getLogger("openidv.cli")


def _settings(args: argparse.Namespace) -> Settings:
    if getattr(args, "data_dir", None):
        os.environ["OPENIDV_DATA_DIR"] = str(args.data_dir)
    settings = Settings()
    logs.configure(settings.log_format, settings.log_level)  # OPENIDV_LOG_FORMAT=json: JSON lines with request ids
    storage.private_dir(settings.data_dir)  # 0700
    return wiring.install(settings)


def _transaction(settings: Settings) -> AbstractContextManager[Session]:
    engine = make_engine(settings.resolved_database_url, pool_size=2, sqlite_synchronous=settings.sqlite_synchronous)
    return transaction(session_factory(engine, writer=True))


def cmd_migrate(args: argparse.Namespace) -> int:

    settings = _settings(args)
    upgrade(settings.resolved_database_url)
    print("database is up to date")
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    """Idempotent: database, environments, an admin user, starter templates in both environments."""
    settings = _settings(args)
    upgrade(settings.resolved_database_url)
    out: dict = {"environments": {}, "admin": None}
    with _transaction(settings) as db:
        for environment in auth.ensure_environments(db):
            made = []
            for name, config in starter_templates():
                template = templates_repository.template_by_name(db, environment.id, name)
                if template is None:
                    # Redirects stay closed until the business names its domains (flow/redirects.py): https only
                    # (and http in the sandbox, whose loopback hosts are allowed for development), no domain listed.
                    schemes = ["https", "http"] if environment.is_sandbox else ["https"]
                    template, _ = templates.create_template(db, environment.id, name, config, hosted_flow_redirect_uri_schemes=schemes)
                made.append({"name": name, "id": template.id, "version-id": template.latest_published_version_id})
            report_templates = [{"name": t.name, "id": t.id} for t in reports.ensure_default_templates(db, environment.id)]
            case_templates = [{"name": t.name, "id": t.id} for t in cases.ensure_default_templates(db, environment.id)]
            # so that a new install decides on its own (README: Workflows)
            workflows = [{"name": w.name, "id": w.id} for w in workflow_starters.ensure_starters(db, environment.id)]
            out["environments"][environment.name] = {"id": environment.id, "organization-id": environment.organization_id, "templates": made,
                                                     "report-templates": report_templates, "case-templates": case_templates,
                                                     "workflows": workflows}
        admin_email = os.environ.get("OPENIDV_ADMIN_EMAIL", "admin@openidv.local")
        if auth_repository.user_by_email(db, admin_email) is None:
            password = os.environ.get("OPENIDV_ADMIN_PASSWORD") or passwords.generate()  # passes the strength estimator
            try:
                auth.create_user(db, admin_email, password, "admin")
            except ValueError as exc:  # OPENIDV_ADMIN_PASSWORD too weak, say
                print(f"error: admin user {admin_email}: {exc}", file=sys.stderr)
                return 2
            out["admin"] = {"email": admin_email, "password": password}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for name, env in out["environments"].items():
            print(f"{name:<11} {env['id']}")
            for template in env["templates"]:
                print(f"  {template['id']}  {template['name']}")
        if out["admin"]:
            print(f"dashboard admin: {out['admin']['email']}  password: {out['admin']['password']}  (shown once)")
    return 0


def cmd_api_key_create(args: argparse.Namespace) -> int:

    settings = _settings(args)
    with _transaction(settings) as db:
        environment = auth_repository.environment_by_name(db, args.environment)
        if environment is None:
            print("run `openidv setup` first", file=sys.stderr)
            return 1
        if args.replace:
            for key in auth_repository.api_keys(db, environment.id):
                if key.name == args.name and key.revoked_at is None:
                    auth.revoke_api_key(db, key)
        permissions = args.permissions.split(",") if args.permissions else None
        made = auth.create_api_key(db, environment, name=args.name, granted=permissions)
        result = {"id": made.key.id, "environment": environment.name, "environment-id": environment.id, "secret": made.secret,
                  "permissions": made.key.permissions}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(made.secret)
    return 0


def _password(args: argparse.Namespace, prompt: str = "Password: ") -> str:
    return sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass(prompt)


def cmd_user_create(args: argparse.Namespace) -> int:

    settings = _settings(args)
    password = _password(args)
    try:
        with _transaction(settings) as db:
            user = auth.create_user(db, args.email, password, args.role, sandbox_only=args.sandbox_only)
            print(user.id)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    settings = _settings(args)
    with _transaction(settings) as db:
        found = [{"id": u.id, "email": u.email, "role": u.role, "sandbox-only": u.sandbox_only, "disabled": u.disabled_at is not None,
                  "totp": u.totp_secret_sealed is not None, "totp-required": u.totp_required} for u in auth_repository.users(db)]
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    for u in found:
        flags = [name for name in ("sandbox-only", "disabled", "totp", "totp-required") if u[name]]
        print(f"{u['id']:<30} {u['email']:<40} {u['role']:<9} {' '.join(flags)}")
    return 0


def cmd_user_change(args: argparse.Namespace) -> int:
    """disable | enable | set-role | reset-password | require-totp, on the user named by --email."""
    settings = _settings(args)
    password = _password(args, "New password: ") if args.action == "reset-password" and not args.generate else None
    try:
        with _transaction(settings) as db:
            user = users.by_email(db, args.email)
            if args.action == "disable":
                users.disable(db, user)
            elif args.action == "enable":
                users.enable(db, user)
            elif args.action == "set-role":
                users.set_role(db, user, args.role, user.sandbox_only if args.sandbox_only is None else args.sandbox_only)
            elif args.action == "reset-password":
                chosen = users.reset_password(db, user, password)
                if args.generate:
                    print(chosen)  # generated: shown once
            else:
                users.require_totp(db, user, not args.off)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.email}: {args.action} done", file=sys.stderr)
    return 0


def cmd_records_import(args: argparse.Namespace) -> int:
    """Import people from CSV / JSON into a record source for database verifications."""
    settings = _settings(args)
    try:
        rows = list(read_rows(Path(args.file)))
    except (OSError, ValueError) as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    draw = progress_bar(len(rows), sys.stderr)
    with _transaction(settings) as db:
        report = import_rows(db, args.source, rows, draw)
        if args.strict and report.rejected:
            db.rollback()  # all or nothing
    draw(len(rows))
    print(file=sys.stderr)
    print("\n".join(summary(report, args.source)))
    if args.strict and report.rejected:
        print("nothing imported (--strict)")
    return 1 if report.rejected and (args.strict or not report.imported + report.replaced) else 0


def cmd_lists_load(args: argparse.Namespace) -> int:
    """Load a sanctions or PEP list file as a new snapshot; a failed load leaves the previous one in service."""
    settings = _settings(args)
    try:
        with _transaction(settings) as db:
            print("\n".join(commands.load_file(db, Path(args.file), args.source, args.list)))
    except ListFormatError as exc:
        print(f"error: {args.file}: {exc} (nothing loaded; the previous snapshot stays in service)", file=sys.stderr)
        return 1
    return 0


def cmd_lists_update(args: argparse.Namespace) -> int:
    """Download every list of OPENIDV_LIST_SOURCES (or <data dir>/lists.json) and load each one."""
    settings = _settings(args)
    try:
        entries = commands.configured(settings.data_dir, settings.list_sources)
    except ListFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    lines, errors = commands.update_all(session_factory(make_engine(settings.resolved_database_url, pool_size=2), writer=True), entries)
    print("\n".join(lines))
    print("\n".join(errors), file=sys.stderr)
    return 1 if errors else 0


def cmd_serve(args: argparse.Namespace) -> int:

    settings = _settings(args)
    if args.port != 8000 or args.host != "127.0.0.1":
        if "OPENIDV_BASE_URL" not in os.environ:
            settings.base_url = f"http://{args.host}:{args.port}"
    if args.no_worker:
        settings.embedded_worker = False
    app = create_app(settings)
    base = settings.base_url.rstrip("/")
    print(f"openidv {base}\n  API        {base}/api/v1  (docs {base}/api/v1/docs)\n  dashboard  {base}/dashboard\n  flow       {base}/verify", flush=True)
    serving.serve(app, host=args.host, port=args.port, threads=settings.worker_threads, log_level=settings.log_level, switch_interval=settings.switch_interval,
                  uvicorn_logging=settings.log_format != "json", graceful_seconds=settings.shutdown_grace_seconds)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Distributed mode: a job worker process (its own executor id) until SIGTERM or Ctrl-C."""


    settings = _settings(args)
    if args.executor_id:
        settings.executor_id = args.executor_id
    engine = make_engine(settings.resolved_database_url, pool_size=sum(settings.job_queue_threads.values()) + 2, sqlite_synchronous=settings.sqlite_synchronous)
    worker = runtime.worker_for(settings, session_factory(engine, writer=True))
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    metrics.watch_jobs(engine)
    metrics.serve_worker_metrics(settings.metrics_port, settings.metrics_address)  # OPENIDV_METRICS_PORT
    worker.start()
    print(f"openidv worker {worker.executor_id}: {len(wiring.job_names())} jobs", flush=True)
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    released = worker.stop(grace=settings.shutdown_grace_seconds)  # stops claiming; unfinished jobs' leases go back
    engine.dispose()
    if released:  # the threads of the jobs released cannot be stopped, and the interpreter would wait for them
        logging.shutdown()
        os._exit(0)
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check this deployment (settings, secrets, data folder, database, storage, clock) without changing it."""
    if args.data_dir:
        os.environ["OPENIDV_DATA_DIR"] = str(args.data_dir)
    return doctor.main(Settings())


def cmd_jobs_recover(args: argparse.Namespace) -> int:

    engine = make_engine(_settings(args).resolved_database_url, pool_size=1)
    freed = runtime.recover(session_factory(engine, writer=True), args.executor)
    print(f"{freed} job(s) of executor {args.executor} released")
    engine.dispose()
    return 0


def cmd_jobs_list(args: argparse.Namespace) -> int:
    """Jobs in the database that need a look (failed, overdue) or any status, queue and kind; with
    --installed, the jobs and timers this process knows: what `openidv worker` runs."""
    settings = _settings(args)
    if args.installed:
        described = wiring.describe()
        print(json.dumps(described, indent=2) if args.json else "\n".join(described["jobs"]))
        return 0
    filters = jobs_admin.Filters(tuple(s.strip() for s in args.status.split(",") if s.strip()), args.queue, args.kind)
    at = now()
    with _transaction(settings) as db:
        found = [jobs_admin.describe(job, at) for job in jobs_admin.find(db, filters, at, args.limit)]
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    for job in found:
        error = (job["last-error"] or "").splitlines()[0][:80] if job["last-error"] else ""
        print(f"{job['id']:<32} {job['kind']:<34} {job['queue']:<13} {job['status']:<9} {job['attempts']}/{job['max-attempts']}  "
              f"{job['run-at'][:19]}  {error}")
    print(f"{len(found)} job(s) {', '.join(filters.statuses)}", file=sys.stderr)
    return 0


def cmd_jobs_show(args: argparse.Namespace) -> int:
    settings = _settings(args)
    with _transaction(settings) as db:
        print(json.dumps(jobs_admin.describe(jobs_admin.load(db, args.job_id), now()), indent=2))
    return 0


def cmd_jobs_change(args: argparse.Namespace) -> int:
    """`jobs retry` and `jobs cancel`: each job in its own transaction; refused ones are said and counted."""
    settings = _settings(args)
    change = jobs_admin.retry if args.action == "retry" else jobs_admin.cancel
    refused = 0
    for job_id in args.job_ids:
        try:
            with _transaction(settings) as db:
                before, job = change(db, job_id, now())
                print(f"{job.id}: {before} -> {jobs_admin.status_of(job, now())}")
        except ApiError as exc:
            refused += 1
            print(f"error: {exc.details or exc.title}", file=sys.stderr)
    return 1 if refused else 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="openidv", description="Self-hostable identity verification")
    parser.add_argument("--data-dir", type=Path, help="data folder (default ./openidv-data, or OPENIDV_DATA_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("setup", help="create or update the database, environments, admin user and starter templates")
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_setup)

    p = sub.add_parser("migrate", help="apply database migrations")
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("serve", help="run the API, hosted flow and dashboard")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--no-worker", action="store_true", help="do not run job workers in this process (distributed mode)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run background jobs (distributed mode)")
    p.add_argument("--executor-id", help="this worker's executor id (default host:pid, or OPENIDV_EXECUTOR_ID)")
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("doctor", help="check this deployment's settings, secrets, database, storage and clock (exit 1 on a failure)")
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(func=cmd_doctor)

    jobs_cmd = sub.add_parser("jobs", help="background jobs").add_subparsers(dest="action", required=True)
    p = jobs_cmd.add_parser("recover", help="release the jobs of an executor that will not come back")
    p.add_argument("--executor", required=True)
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(func=cmd_jobs_recover)
    p = jobs_cmd.add_parser("list", help="list jobs that failed or are overdue (or any --status, --queue, --kind)")
    p.add_argument("--status", default=",".join(jobs_admin.ATTENTION), help=f"comma-separated, among {', '.join(jobs_admin.STATUSES)}")
    p.add_argument("--queue", help="verifications, deliveries or default")
    p.add_argument("--kind", help="the job's name, e.g. webhooks.deliver")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--installed", action="store_true", help="list instead the jobs and timers every openidv process knows")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(func=cmd_jobs_list)
    p = jobs_cmd.add_parser("show", help="print one job, with its arguments and last error")
    p.add_argument("job_id")
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(func=cmd_jobs_show)
    for action, text in (("retry", "queue failed, cancelled or waiting jobs again, due now"), ("cancel", "stop waiting jobs, or dismiss failed ones")):
        p = jobs_cmd.add_parser(action, help=text)
        p.add_argument("job_ids", nargs="+", metavar="job_id")
        p.add_argument("--data-dir", type=Path)
        p.set_defaults(func=cmd_jobs_change)

    keys = sub.add_parser("api-key", help="manage API keys").add_subparsers(dest="action", required=True)
    p = keys.add_parser("create", help="create an API key and print its secret (shown once)")
    p.add_argument("--environment", choices=("sandbox", "production"), required=True)
    p.add_argument("--name", default="")
    p.add_argument("--permissions", help="comma-separated permission names (default: all)")
    p.add_argument("--replace", action="store_true", help="revoke earlier keys of the same name")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(func=cmd_api_key_create)

    user_cmd = sub.add_parser("user", help="manage dashboard users").add_subparsers(dest="action", required=True)
    p = user_cmd.add_parser("create", help="create a dashboard user (the password must pass the strength estimator)")
    p.add_argument("--email", required=True)
    p.add_argument("--role", choices=auth.ROLES, required=True)
    p.add_argument("--sandbox-only", action="store_true", help="refuse this user the production environment")
    p.add_argument("--password-stdin", action="store_true")
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(func=cmd_user_create)
    p = user_cmd.add_parser("list", help="list dashboard users")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(func=cmd_user_list)
    for action, text in (("disable", "disable a user and end their sessions"), ("enable", "enable a disabled user"),
                         ("set-role", "change a user's role (and, with --sandbox-only/--no-sandbox-only, their environments)"),
                         ("reset-password", "set a new password (from the prompt, --password-stdin or --generate) and end their sessions"),
                         ("require-totp", "require an authenticator code at the user's sign-in (--off: make it optional)")):
        p = user_cmd.add_parser(action, help=text)
        p.add_argument("--email", required=True)
        if action == "set-role":
            p.add_argument("--role", choices=auth.ROLES, required=True)
            p.add_argument("--sandbox-only", action=argparse.BooleanOptionalAction, default=None)
        if action == "reset-password":
            p.add_argument("--password-stdin", action="store_true")
            p.add_argument("--generate", action="store_true", help="generate a password and print it (shown once)")
        if action == "require-totp":
            p.add_argument("--off", action="store_true")
        p.add_argument("--data-dir", type=Path)
        p.set_defaults(func=cmd_user_change)

    records = sub.add_parser("records", help="record sources for database verifications").add_subparsers(dest="action", required=True)
    p = records.add_parser("import", help="import people from a CSV, JSON or JSON-lines file")
    p.add_argument("file")
    p.add_argument("--source", required=True, help="record source name (a database step's `source` setting)")
    p.add_argument("--strict", action="store_true", help="import nothing when any row is rejected")
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(func=cmd_records_import)

    screening_lists = sub.add_parser("lists", help="sanctions and PEP lists for screening reports").add_subparsers(dest="action", required=True)
    p = screening_lists.add_parser("load", help="load a list file as a new snapshot and screen its changes")
    p.add_argument("file")
    p.add_argument("--source", required=True, choices=["ofac-sdn", "ofac-consolidated", "un", "eu", "uk", "ftm", "pep-csv"])
    p.add_argument("--list", help="list name (default: the source)")
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(func=cmd_lists_load)
    p = screening_lists.add_parser("update", help="download and load the lists configured in <data dir>/lists.json")
    p.add_argument("--data-dir", type=Path)
    p.set_defaults(func=cmd_lists_update)

    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ApiError as exc:  # the same rules as the API: say what is wrong, no traceback
        print(f"error: {exc.details or exc.title}", file=sys.stderr)
        return 2
    except storage.StorageError as exc:  # a file store that cannot be used: which setting, and why
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
