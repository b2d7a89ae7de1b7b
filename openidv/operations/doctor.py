"""`openidv doctor`: is this deployment fit to run? One line per check (ok, warn or fail); exit 1 on a fail.

It reads the settings as `openidv serve` would and fixes nothing: no secret is generated, no folder created,
no migration run (the storage probe writes one small file and deletes it)."""

import json
import logging
import os
import stat
import sys
from collections.abc import Callable
from ipaddress import ip_address
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine

from openidv.config import Settings
from openidv.kit import crypto, storage as kit_storage
from openidv.kit.clock import now
from openidv.kit.db import make_engine
from openidv.operations import health, repository
from openidv.operations.health import Check

SECRETS = ("encryption_keys", "blind_index_key", "session_token_secret", "secret_key")
CLOCK_WARN_SECONDS = 5.0
SHORT_SECRET = 32


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def is_production(settings: Settings) -> bool:
    """Reached by others: the base URL is not a loopback address, or it runs as a fleet (PostgreSQL)."""
    return not settings.is_sqlite or not _loopback(urlsplit(settings.base_url).hostname or "")


def base_url(settings: Settings) -> Check:
    parts = urlsplit(settings.base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Check("base_url", "fail", f"OPENIDV_BASE_URL {settings.base_url!r} is not an http(s) URL")
    if parts.scheme == "https":
        return Check("base_url", "ok", settings.base_url)
    if _loopback(parts.hostname):
        return Check("base_url", "ok", f"{settings.base_url} (this host only)")
    return Check("base_url", "fail", f"{settings.base_url}: a deployment others reach must use https (OPENIDV_BASE_URL)")


def _stored_secrets(settings: Settings) -> dict[str, str]:
    path = settings.data_dir / "secrets.json"
    try:
        stored = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in stored.items() if isinstance(v, str) and v} if isinstance(stored, dict) else {}


def resolved_secrets(settings: Settings) -> tuple[dict[str, str], list[str]]:
    """The secrets the server would use without generating any (settings first, then the data folder's
    secrets.json in embedded mode), and the names of those given by settings."""
    given = {name: getattr(settings, name) for name in SECRETS if getattr(settings, name)}
    stored = _stored_secrets(settings) if settings.is_sqlite else {}
    return {name: given.get(name) or stored.get(name, "") for name in SECRETS}, sorted(given)


def secrets_check(settings: Settings) -> Check:
    values, given = resolved_secrets(settings)
    missing = [f"OPENIDV_{name.upper()}" for name in SECRETS if not values[name]]
    if missing and not settings.is_sqlite:
        return Check("secrets", "fail", f"distributed mode needs {', '.join(missing)}")
    if missing:
        return Check("secrets", "warn", f"{len(missing)} missing: `openidv serve` will generate them into {settings.data_dir / 'secrets.json'}")
    try:
        crypto.KeyRing.from_setting(values["encryption_keys"], values["blind_index_key"])
    except Exception as exc:  # noqa: BLE001 - whatever the parser says is wrong, without the value
        return Check("secrets", "fail", f"the encryption key ring does not load ({type(exc).__name__})")
    short = [f"OPENIDV_{name.upper()}" for name in ("session_token_secret", "secret_key") if len(values[name]) < SHORT_SECRET]
    if short:
        return Check("secrets", "warn", f"shorter than {SHORT_SECRET} characters: {', '.join(short)}")
    if len(given) < len(SECRETS) and is_production(settings):
        return Check("secrets", "warn", f"kept in {settings.data_dir / 'secrets.json'}, beside the data they protect: give them as OPENIDV_* "
                                        "settings from a secret store, and back them up")
    return Check("secrets", "ok", "all given as settings" if len(given) == len(SECRETS) else f"from {settings.data_dir / 'secrets.json'}")


def data_dir(settings: Settings) -> Check:
    folder = Path(settings.data_dir)
    if not folder.exists():
        return Check("data_dir", "warn", f"{folder} does not exist yet (`openidv serve` creates it, 0700)")
    if not folder.is_dir():
        return Check("data_dir", "fail", f"{folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        return Check("data_dir", "fail", f"{folder} is not writable by this user")
    info = folder.stat()
    problems = []
    if info.st_uid != os.geteuid():
        problems.append("owned by another user")
    if info.st_mode & 0o077:
        problems.append(f"mode {stat.filemode(info.st_mode)}: others may read it (chmod 700)")
    secrets_file = folder / "secrets.json"
    if secrets_file.exists() and secrets_file.stat().st_mode & 0o077:
        return Check("data_dir", "fail", f"{secrets_file} may be read by others (chmod 600)")
    if problems:
        return Check("data_dir", "warn", f"{folder}: " + "; ".join(problems))
    return Check("data_dir", "ok", str(folder))


def clock(engine: Engine) -> Check:
    try:
        with engine.connect() as connection:
            before = now()
            theirs = repository.database_now(connection)
            after = now()
    except Exception as exc:  # noqa: BLE001
        return Check("clock", "fail", f"could not read the database's clock ({type(exc).__name__})")
    ours = before + (after - before) / 2
    skew = (ours - theirs).total_seconds()
    detail = f"{abs(skew):.1f} s {'ahead of' if skew > 0 else 'behind'} the database server"
    if abs(skew) > CLOCK_WARN_SECONDS:
        return Check("clock", "warn", detail + ": expiries and signatures use both clocks (run NTP)")
    return Check("clock", "ok", detail)


def storage(settings: Settings) -> Check:
    values, _ = resolved_secrets(settings)
    if not all(values.values()):
        return Check("storage", "warn", "not probed: the secrets that seal files are not there yet")
    crypto.install(crypto.KeyRing.from_setting(values["encryption_keys"], values["blind_index_key"]))
    try:
        store = settings.store  # OPENIDV_STORAGE_URL, opened and checked
    except kit_storage.StorageError as exc:  # an unknown scheme, a bad option, an unreachable bucket
        return Check("storage", "fail", str(exc))
    return health.storage_writable(store)


def settings_check(settings: Settings) -> Check:
    notes = []
    if is_production(settings) and settings.webhooks_allow_private_urls:
        notes.append("OPENIDV_WEBHOOKS_ALLOW_PRIVATE_URLS lets webhooks reach private addresses")
    if settings.metrics_token is not None and len(settings.metrics_token) < 16:
        notes.append("OPENIDV_METRICS_TOKEN is shorter than 16 characters")
    if notes:
        return Check("settings", "warn", "; ".join(notes))
    return Check("settings", "ok", f"{'production' if is_production(settings) else 'local'}, {'SQLite (embedded)' if settings.is_sqlite else 'PostgreSQL'}")


def run(settings: Settings) -> list[Check]:
    checks: list[Check] = [settings_check(settings), base_url(settings), secrets_check(settings), data_dir(settings)]
    database_url = settings.resolved_database_url
    if settings.is_sqlite and not Path(database_url.removeprefix("sqlite:///")).exists():
        checks.append(Check("database", "fail", "the SQLite file does not exist: run `openidv setup`"))
    else:
        engine = make_engine(database_url, pool_size=1, sqlite_synchronous=settings.sqlite_synchronous)
        try:
            checks += _database_checks(engine)
        finally:
            engine.dispose()
    checks.append(storage(settings))
    return checks


def _database_checks(engine: Engine) -> list[Check]:
    reached = health.database(engine)
    if reached.status == "fail":
        return [reached]
    later: list[Callable[[Engine], Check]] = [health.migrations, clock]
    return [reached, *(check(engine) for check in later)]


def main(settings: Settings, out: TextIO = sys.stdout) -> int:
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its migration context's INFO lines are not findings
    checks = run(settings)
    for check in checks:
        print(f"{check.status:<4}  {check.name:<10}  {check.detail}", file=out)
    failed = [check.name for check in checks if check.status == "fail"]
    print(f"{len(failed)} check(s) failed: {', '.join(failed)}" if failed else "ready", file=out)
    return 1 if failed else 0
