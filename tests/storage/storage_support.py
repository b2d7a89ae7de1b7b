"""Helpers of the storage tests (their fixtures are in conftest.py): the S3 server's client side, a store
setting, and the environment and handle of an openidv server process."""

import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from openidv.config import Settings

BUCKET = "openidv-test"
REGION = "us-east-1"
OPENIDV = str(Path(sys.executable).parent / "openidv")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class S3Server:
    endpoint: str
    bucket: str

    def options(self) -> dict[str, Any]:
        """OPENIDV_STORAGE_OPTIONS for this server (moto takes any credentials)."""
        return {"endpoint": self.endpoint, "region": REGION, "access_key_id": "test", "secret_access_key": "test"}

    def client(self) -> Any:
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")

    def keys(self, prefix: str) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def raw(self, key: str) -> bytes:
        return bytes(self.client().get_object(Bucket=self.bucket, Key=key)["Body"].read())


@dataclass
class StoreSetting:
    """One value of OPENIDV_STORAGE_URL (and OPENIDV_STORAGE_OPTIONS) to run a test against."""

    kind: str
    url: str
    options: dict[str, Any]
    folder: Path | None = None  # file://
    s3: S3Server | None = None  # s3://
    prefix: str = ""

    def settings(self, base: Settings) -> Settings:
        """`base` with this store."""
        options = json.dumps(self.options) if self.options else None
        return Settings(**(base.model_dump() | {"storage_url": self.url, "storage_options": options}))


def process_env(settings: Settings, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of an openidv process on `database_url` with the test secrets, plus `extra` (names without
    the OPENIDV_ prefix). Never this process's own SQLite file: a file this process opened and closed outside
    SQLite (as tests/security reads it raw) has lost its locks, and another process closing last would then
    remove the write-ahead log under this one's connections."""
    given = {
        "DATABASE_URL": database_url, "ENCRYPTION_KEYS": settings.secrets["encryption_keys"],
        "BLIND_INDEX_KEY": settings.secrets["blind_index_key"], "SESSION_TOKEN_SECRET": settings.secrets["session_token_secret"],
        "SECRET_KEY": settings.secrets["secret_key"], "LOG_LEVEL": "warning", "RATE_LIMIT_PER_MINUTE": "100000",
    } | extra
    return {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")} | {f"OPENIDV_{k}": v for k, v in given.items()}


@dataclass
class ServerDatabase:
    """The database openidv server processes share in a test: its URL, a sandbox API key and template."""

    url: str
    api_key: str
    template_id: str


@dataclass
class Server:
    """`openidv serve --no-worker` as a process of its own, with its own data folder."""

    base: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]
