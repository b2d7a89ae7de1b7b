"""A real HTTP receiver on loopback that checks what a Persona webhook receiver would check, with its
own implementation of Persona's signature recipe (COMPAT.md §8) and the spec's body schemas (§11)."""

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jsonschema
from persona_spec import load_spec


def bundle(version: str) -> dict[str, Any]:
    """One version of Persona's spec (read once; shared, so callers copy before changing it)."""
    return load_spec(version)


def validate_webhook_body(body: dict[str, Any], event_name: str, version: str = "2025-12-08") -> None:
    root = dict(bundle(version))
    root["$ref"] = f"#/webhooks/{event_name}/post/requestBody/content/application~1json/schema"
    jsonschema.Draft202012Validator(root).validate(body)


def validate_response(body: dict[str, Any], path: str, method: str, code: int, version: str = "2025-12-08") -> None:
    root = dict(bundle(version))
    pointer = path.replace("~", "~0").replace("/", "~1")
    root["$ref"] = f"#/paths/{pointer}/{method}/responses/{code}/content/application~1json/schema"
    jsonschema.Draft202012Validator(root).validate(body)


def signature_ok(header: str, raw: bytes, secrets: list[str]) -> bool:
    """Persona's receiver recipe: split on spaces into pairs, each on commas into t and v1; accept if any
    pair matches any secret (constant-time compare)."""
    for pair in header.split(" "):
        parts = dict(item.split("=", 1) for item in pair.split(",") if "=" in item)
        if "t" not in parts or "v1" not in parts:
            continue
        for secret in secrets:
            expected = hmac.new(secret.encode("utf-8"), parts["t"].encode() + b"." + raw, hashlib.sha256).hexdigest()
            if hmac.compare_digest(expected, parts["v1"]):
                return True
    return False


@dataclass
class Received:
    headers: dict[str, str]
    raw: bytes
    at: float

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.raw)


@dataclass
class Receiver:
    """`answers`: status codes to give, in order; after them, 200."""

    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(default=None)  # type: ignore[assignment]
    gate: threading.Event = field(default_factory=threading.Event)  # cleared: hold each request (in flight)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)
        self.gate.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, raw, time.time()))
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    receiver.arrived.notify_all()
                receiver.gate.wait(60)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait_for(self, count: int, timeout: float = 15) -> list[Received]:
        deadline = time.time() + timeout
        with self.lock:
            while len(self.received) < count:
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(f"expected {count} deliveries, got {len(self.received)}")
                self.arrived.wait(left)
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
