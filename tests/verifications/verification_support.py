"""Helpers shared by the verification tests (a module with a unique name, so test files can import it)."""

import re
import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from typing import Any

from persona_spec import spec_path

SPEC = spec_path("2025-12-08")
CODE = re.compile(r"\b(\d{6})\b")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mailbox:
    messages: list[Any] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def last_code(self) -> str:
        body = self.messages[-1].get_content()
        return CODE.search(body).group(1)
