"""Browser fixtures shared by the flow test modules (imported into each; one browser per module)."""

import os
from pathlib import Path

import pytest

from flow_support import CHROMIUM, LiveServer, camera_args, fake_camera_video

# Skipped only on a developer machine without chromium; in CI (.ci/run sets OPENIDV_REQUIRE_BROWSER) they must run.
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not (os.environ.get("CI") or os.environ.get("OPENIDV_REQUIRE_BROWSER")),
    reason="needs Debian's chromium (apt-get install chromium); CI installs it",
)


@pytest.fixture(scope="module")
def server(app):  # noqa: ANN001, ANN201
    live = LiveServer(app).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):  # noqa: ANN001, ANN201
    from playwright.sync_api import sync_playwright

    video = fake_camera_video(tmp_path_factory.mktemp("camera") / "camera.y4m")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=camera_args(video), headless=True)
        yield browser
        browser.close()
