"""Browser tests: a test marked `browser(...)` (flow_support.fixtures.needs_chromium / needs_sdk; the marker is
registered in tests/conftest.py) runs only where what it needs exists; flow_support.require_browser decides, and
says why it skips or fails.

The browser fixtures (server, chromium, mailbox, sms_inbox) live in flow_support.fixtures and are imported here,
once, so every module in tests/e2e can request them by name without importing them itself."""

import pytest
from flow_support import require_browser
from flow_support.fixtures import chromium, mailbox, server, sms_inbox  # noqa: F401 - fixtures for the modules in tests/e2e


@pytest.hookimpl(tryfirst=True)  # before the fixtures start a server or a browser
def pytest_runtest_setup(item) -> None:
    for mark in item.iter_markers("browser"):
        require_browser(*mark.args)
