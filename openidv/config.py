"""Settings from `OPENIDV_*` environment variables (pydantic-settings).

Embedded mode (SQLite in the data folder) generates missing secrets into `<data>/secrets.json` on first
start and says so; with PostgreSQL (distributed mode) the secrets must be given.
"""

import json
import logging
import os
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Self

from pydantic_settings import BaseSettings, SettingsConfigDict

from openidv.kit import crypto, storage

log = logging.getLogger("openidv.config")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENIDV_", extra="ignore")

    data_dir: Path = Path("./openidv-data")
    database_url: str | None = None
    # Where uploads, photos and document files are kept, sealed (openidv.kit.storage): file:///folder (default
    # <data_dir>/files), s3://bucket/prefix, gs://bucket/prefix, az://container/prefix, or memory:// (one process,
    # tests). Object stores take credentials, endpoint and region from the usual environment variables (AWS_*,
    # GOOGLE_*, AZURE_*) and from storage_options, a JSON object of obstore's configuration keys, e.g.
    # {"endpoint": "http://127.0.0.1:9000", "region": "us-east-1", "access_key_id": "…", "secret_access_key": "…"}
    # (an http:// endpoint allows plain HTTP; HTTP client options go under "client_options"). Checked at startup.
    storage_url: str | None = None
    storage_options: str | None = None
    base_url: str = "http://127.0.0.1:8000"  # where the API, flow and dashboard are reached
    encryption_keys: str | None = None  # kid:base64,kid:base64 (first seals)
    blind_index_key: str | None = None
    session_token_secret: str | None = None  # signs inquiry-session JWTs
    secret_key: str | None = None  # signs cookies and file links
    rate_limit_per_minute: int = 300
    max_body_bytes: int = 20 * 1024 * 1024
    db_pool_size: int = 16
    sqlite_synchronous: Literal["full", "normal"] = "normal"  # embedded mode (WAL): NORMAL survives a killed process; FULL also a power loss
    worker_threads: int = 16  # threads for sync endpoints (anyio's default is 40)
    switch_interval: float = 0.001  # seconds; Python's GIL switch interval (default 0.005)
    log_level: str = "info"
    embedded_worker: bool = True  # run the job workers inside `openidv serve` (`serve --no-worker` turns it off)
    executor_id: str | None = None  # this process's job executor id (default host:pid)
    # Each job queue runs on threads of its own in every worker (openidv.wiring.JOB_QUEUES says which job goes where):
    job_threads_verifications: int = 2  # processing of submitted verifications and documents (CPU-heavy: about one per core)
    job_threads_deliveries: int = 4  # webhook deliveries (waiting on the network)
    job_threads_default: int = 4  # workflows, reports, timers and the rest
    jobs_lease_seconds: float = 60  # a job a dead worker held runs again after this
    jobs_poll_seconds: float = 0.25
    webhooks_allow_private_urls: bool = False
    webhooks_retry_schedule: str | None = None  # comma-separated waits in seconds (default Persona's)
    list_sources: str | None = None  # JSON [{"list", "source", "url"}] for `openidv lists update` (else <data dir>/lists.json)
    lists_update_hours: int = 0  # >0: the job worker downloads and loads the configured lists every N hours
    sandbox_flow_checks: Literal["simulate", "run"] = "simulate"  # the sandbox flow simulates checks, as Persona's; "run" runs them
    biometric_retention_days: int = 1095  # selfie photos and face embeddings are purged after this (3 years: BIPA's ceiling)
    api_log_retention_days: int = 90  # API log rows (no bodies, no query values) are purged after this
    # Anonymous inquiry creation by the flow (`/verify?inquiry-template-id=`, `/widget`), openidv.flow.limits:
    flow_creations_per_ip_per_minute: int = 10  # per client IP and environment
    flow_creations_per_template_per_minute: int = 300  # per template, all clients together
    # Operations (openidv.operations, README "Operations"):
    log_format: Literal["text", "json"] = "text"  # json: one JSON object per line, with the request's id
    metrics_token: str | None = None  # /metrics answers loopback clients, and others presenting this bearer token
    metrics_port: int = 0  # >0: `openidv worker` serves its own /metrics on this port
    metrics_address: str = "127.0.0.1"  # where `openidv worker` listens for metrics scrapes
    shutdown_grace_seconds: float = 30  # on SIGTERM, running jobs get this long; the leases of those unfinished are released

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'openidv.db').resolve()}"

    @property
    def job_queue_threads(self) -> dict[str, int]:
        return {"verifications": self.job_threads_verifications, "deliveries": self.job_threads_deliveries, "default": self.job_threads_default}

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @cached_property
    def store(self) -> storage.Store:
        """The file store, opened and checked once per settings object (`storage.StorageError` if unusable)."""
        try:
            options = json.loads(self.storage_options) if self.storage_options else {}
        except ValueError as exc:
            raise storage.StorageError(f"OPENIDV_STORAGE_OPTIONS is not valid JSON: {exc}") from None
        if not isinstance(options, dict):
            raise storage.StorageError("OPENIDV_STORAGE_OPTIONS must be a JSON object")
        return storage.open_store(self.storage_url or (self.data_dir / "files").resolve().as_uri(), options)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy opens its own store when asked (its data folder or store setting may differ); the secrets
        it keeps."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("store", None)
        return copied

    @cached_property
    def secrets(self) -> dict[str, str]:
        """Secrets from settings, else (embedded mode) from the data folder, generated once."""
        given = {
            "encryption_keys": self.encryption_keys,
            "blind_index_key": self.blind_index_key,
            "session_token_secret": self.session_token_secret,
            "secret_key": self.secret_key,
        }
        present = {k: v for k, v in given.items() if v}
        if len(present) == len(given):
            return present
        if not self.is_sqlite:
            missing = ", ".join("OPENIDV_" + k.upper() for k, v in given.items() if not v)
            raise RuntimeError(f"distributed mode needs these settings: {missing}")
        path = self.data_dir / "secrets.json"
        stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        generated = False
        for key in given:
            if not stored.get(key):
                stored[key] = "k1:" + crypto.generate_key() if key == "encryption_keys" else crypto.generate_key()
                generated = True
        if generated:
            storage.private_dir(self.data_dir)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, storage.FILE_MODE)
            with os.fdopen(fd, "w") as out:
                out.write(json.dumps(stored, indent=2))
            os.chmod(path, storage.FILE_MODE)  # an existing file keeps its mode through os.open
            log.warning("generated missing secrets into %s; keep this file safe", path)
        return {k: v or stored[k] for k, v in given.items()}


def bootstrap(settings: Settings) -> Settings:
    """Install the encryption key ring derived from the settings (the composition root, `openidv.wiring`,
    configures the rest)."""
    secrets = settings.secrets
    crypto.install(crypto.KeyRing.from_setting(secrets["encryption_keys"], secrets["blind_index_key"]))
    return settings
