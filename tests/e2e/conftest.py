"""Browser tests: a test marked `browser(...)` (flow_support.fixtures.needs_chromium / needs_sdk) runs only
where what it needs exists; flow_support.require_browser decides, and says why it skips or fails."""

import pytest
from flow_support import require_browser


def pytest_configure(config) -> None:  # noqa: ANN001
    config.addinivalue_line("markers", "browser(*needs): needs Chromium ('chromium') and/or the npm SDK packages ('sdk')")


@pytest.hookimpl(tryfirst=True)  # before the fixtures start a server or a browser
def pytest_runtest_setup(item) -> None:  # noqa: ANN001
    for mark in item.iter_markers("browser"):
        require_browser(*mark.args)
