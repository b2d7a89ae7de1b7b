"""Helpers for the flow tests: images and a fake-camera video the tests generate, a live server on
loopback, and Chromium flags for Debian's `/usr/bin/chromium`."""

import io
import os
import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from PIL import Image

CHROMIUM = "/usr/bin/chromium"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')  # the flow's form tokens, as a page carries them
STEP_ID = re.compile(r'name="step-id" value="([^"]+)"')
SDK_DIR = Path(__file__).resolve().parents[1] / "sdk" / "node_modules"
PERSONA_JS = SDK_DIR / "persona" / "dist" / "persona.js"  # the official SDK (UMD build)
AXE_JS = SDK_DIR / "axe-core" / "axe.min.js"
# Set in CI (.ci/run): a browser test that cannot run there fails instead of skipping.
REQUIRE_BROWSER = os.environ.get("OPENIDV_REQUIRE_BROWSER", "").strip().lower() not in ("", "0", "false", "no")
BASE_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
    # Third-party cookies blocked, as Safari and Chrome's phase-out do: the embedded flow must not need them.
    "--test-third-party-cookie-phaseout",
]


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, each as `rule: targets`."""
    page.add_script_tag(path=str(AXE_JS))
    found: list[str] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id + ': ' + v.nodes.map(n => n.target).join(' '))"
    )
    return found


def browser_missing(need: str) -> str | None:
    """Why a browser test needing `need` ("chromium", or "sdk": Persona's SDK and axe-core from npm) cannot
    run on this machine, or None when it can."""
    if need == "chromium":
        if not Path(CHROMIUM).exists():
            return f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium) to run the browser tests"
    elif need == "sdk":
        absent = [path for path in (PERSONA_JS, AXE_JS) if not path.is_file()]
        if absent:
            where = absent[0].relative_to(SDK_DIR.parents[3])  # from the checkout
            return f"no {where}: `make test` installs Persona's SDK and axe-core (npm install --prefix tests/e2e/sdk; needs npm)"
    else:
        raise ValueError(f"unknown browser test need {need!r}")
    return None


def require_browser(*needs: str) -> None:
    """Skip a browser test whose Chromium or npm packages are missing, with one line saying which and how
    to get them; fail instead when OPENIDV_REQUIRE_BROWSER is set (CI), where they must run."""
    import pytest

    for need in needs:
        reason = browser_missing(need)
        if reason is None:
            continue
        if REQUIRE_BROWSER:
            pytest.fail(f"{reason} (OPENIDV_REQUIRE_BROWSER is set: the browser tests must run, not skip)", pytrace=False)
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def noise_image(width: int = 800, height: int = 500, fmt: str = "JPEG", seed: int = 1) -> bytes:
    """A picture whose noise keeps its JPEG above the 10 KB minimum."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), bytes(rng.getrandbits(8) for _ in range(width * height * 3)))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def fake_camera_video(path: Path, width: int = 640, height: int = 480, frames: int = 3) -> Path:
    """A Y4M clip for `--use-file-for-fake-video-capture`: noisy grey frames (YUV 4:2:0)."""
    rng = random.Random(7)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n")
            out.write(os.urandom(width * height) if rng else b"")
            out.write(bytes([128]) * (width * height // 2))
    return path


def camera_args(video: Path) -> list[str]:
    return BASE_ARGS + ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"]


@contextmanager
def camera_browser(video: Path) -> Iterator[Any]:
    """Debian's Chromium, headless, whose fake camera plays `video` (Y4M or MJPEG)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=camera_args(video), headless=True)
        yield browser
        browser.close()


class LiveServer:
    """The app under uvicorn in a thread on 127.0.0.1, stopped by `stop()`."""

    def __init__(self, app, port: int | None = None) -> None:
        self.port = port or free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"


def blank_pdf() -> bytes:
    """A well-formed one-page PDF with nothing to read, past the 10 KB minimum (it passes the PDF intake)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.add_metadata({"/Subject": "filler " * 2000})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
