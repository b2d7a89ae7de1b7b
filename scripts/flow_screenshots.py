"""Screenshots of every screen of the hosted flow, desktop (1280×800) and phone (390×844), English and
Spanish, into docs/screenshots/flow/ (PNG, palette-reduced to stay small).

    .venv/bin/python scripts/flow_screenshots.py [--out DIR]

Starts the app in-process on loopback (a throw-away SQLite database, the sandbox's starter templates, the
job worker), drives Debian's Chromium whose fake camera shows a generated ID card and a generated face,
and walks: consent, fields (with their errors), government ID (choices, live camera with the frame,
preview, a missing side's error), biometric consent, selfie (live oval, the three pictures), the end,
and a failed attempt's retry screen and the failed end. tests/e2e/test_flow_browser.py walks the same
screens (`walk`) and runs axe-core on each.
"""
# ruff: noqa: PLC0415 - the app, Playwright and OpenCV load only once the script runs (after sys.path has tests/e2e)

import argparse
import io
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "e2e")]

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
LANGUAGES = ("en", "es")
TEXT = {  # what the walk clicks, as the person reads it
    "en": {"continue": "Continue", "submit": "Submit", "camera": "Use camera", "photo": "Take photo", "licence": "Driver's licence",
           "country": "Country that issued your ID"},
    "es": {"continue": "Continuar", "submit": "Enviar", "camera": "Usar la cámara", "photo": "Tomar foto", "licence": "Permiso de conducir",
           "country": "País que emitió tu documento"},
}
COUNTRY = {"en": "US", "es": "ES"}
Shoot = Callable[[Any, str], None]


# ---------------------------------------------------------------- what the fake camera shows


def _y4m(path: Path, frames: list[Any]) -> Path:
    import cv2

    height, width = frames[0].shape[:2]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for rgb in frames:
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path


def id_card_video(path: Path) -> Path:
    """A generated driver's licence on a dark desk, filling the document frame."""
    import numpy as np
    from PIL import Image

    from openidv.testdata import selfiegen

    card = Image.open(io.BytesIO(selfiegen.id_front_with_portrait("astronaut", kind="drivers_license", seed=2))).convert("RGB")
    desk = Image.new("RGB", (1280, 960), (38, 42, 48))
    card = card.resize((1040, round(1040 * card.height / card.width)), Image.Resampling.LANCZOS)
    desk.paste(card, ((desk.width - card.width) // 2, (desk.height - card.height) // 2))
    return _y4m(path, [np.asarray(desk)] * 3)


def face_video(path: Path) -> Path:
    import numpy as np

    from openidv.testdata import selfiegen

    still = selfiegen.frame_of("astronaut", face_width=230, seed=3)
    height, width = (still.shape[0] // 2) * 2, (still.shape[1] // 2) * 2
    return _y4m(path, [np.ascontiguousarray(still[:height, :width])] * 3)


# ---------------------------------------------------------------- the app, in-process


class Jobs:
    """The app's job worker, which the walk may hold back for a moment (to show a page that waits for a job)."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make
        self.start()

    def start(self) -> None:
        self.worker = self.make()
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop()


@contextmanager
def running_app(tmp: Path) -> Iterator[tuple[str, dict[str, str], str, Jobs]]:
    """(base URL, sandbox template name -> id, sandbox API key, its job worker) of a fresh app on loopback."""
    from flow_support import LiveServer

    from openidv import wiring
    from openidv.app import create_app
    from openidv.auth import service as auth
    from openidv.config import Settings
    from openidv.inquiry_templates import service as templates
    from openidv.inquiry_templates.config import starter_templates
    from openidv.jobs import runtime
    from openidv.kit.crypto import generate_key
    from openidv.kit.db import make_engine, session_factory, transaction
    from openidv.migrate import upgrade

    url = f"sqlite:///{tmp / 'openidv.db'}"
    upgrade(url)
    settings = wiring.install(Settings(
        data_dir=tmp / "data", database_url=url, encryption_keys="k1:" + generate_key(), blind_index_key=generate_key(),
        session_token_secret=generate_key(), secret_key=generate_key(), rate_limit_per_minute=100_000, embedded_worker=False,
        flow_creations_per_ip_per_minute=100_000,  # one machine walks every screen many times
    ))
    engine = make_engine(settings.resolved_database_url, pool_size=2)
    with transaction(session_factory(engine, writer=True)) as db:
        sandbox, _production = auth.ensure_environments(db)
        made = {name: templates.create_template(db, sandbox.id, name, config)[0].id for name, config in starter_templates()}
        key = auth.create_api_key(db, sandbox, name="screenshots").secret
    app = create_app(settings)
    jobs = Jobs(lambda: runtime.Worker(app.state.writer, executor_id="screenshots", threads=2, poll_seconds=0.05, periodic=False))
    server = LiveServer(app).start()
    try:
        yield server.url, made, key, jobs
    finally:
        server.stop()
        jobs.stop()
        engine.dispose()


# ---------------------------------------------------------------- the walk


def walk(page: Any, base: str, templates: dict[str, str], api_key: str, language: str, shoot: Shoot, *, id_camera: Any = None) -> None:
    """Every screen in order, `shoot(page, name)` on each. `page` belongs to a browser whose fake camera shows
    a face; `id_camera`, when given, is a page of a browser whose camera shows an ID card (the government-ID
    screens are shot there, the rest on `page`)."""
    import httpx

    text = TEXT[language]
    api = httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {api_key}"})

    # Fields, empty then refused: errors beside each field.
    page.goto(f"{base}/verify?inquiry-template-id={templates['Database']}&language={language}")
    shoot(page, "consent")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name=text["continue"]).click()
    page.locator("form").wait_for()
    shoot(page, "fields")
    page.get_by_role("button", name=text["continue"]).click()
    page.locator(".problem").first.wait_for()
    shoot(page, "fields-error")

    # Government ID and selfie, to the end.
    gid = id_camera or page
    gid.goto(f"{base}/verify?inquiry-template-id={templates['Government ID and Selfie']}&language={language}")
    gid.get_by_role("checkbox").check()
    gid.get_by_role("button", name=text["continue"]).click()
    gid.get_by_label(text["country"]).wait_for()
    shoot(gid, "government-id")
    gid.get_by_label(text["country"]).select_option(COUNTRY[language])
    gid.get_by_role("radio", name=text["licence"]).check()
    front = gid.locator('fieldset[data-side="front"]')
    front.get_by_role("button", name=text["camera"]).click()
    gid.wait_for_function("document.querySelector('fieldset[data-side=front] video').readyState >= 2")
    time.sleep(0.3)
    shoot(gid, "government-id-camera")
    front.get_by_role("button", name=text["photo"]).click()
    gid.wait_for_function("document.querySelector('input[name=front]').files.length === 1")
    gid.locator('fieldset[data-side="front"] img.preview').wait_for()
    shoot(gid, "government-id-captured")
    gid.get_by_role("button", name=text["submit"]).click()  # the back is missing
    gid.locator("#e-back").wait_for()
    gid.wait_for_function("document.querySelector('input[name=front]').files.length === 1")  # kept across the error
    shoot(gid, "government-id-error")
    back = gid.locator('fieldset[data-side="back"]')
    back.get_by_role("button", name=text["camera"]).click()
    gid.wait_for_function("document.querySelector('fieldset[data-side=back] video').readyState >= 2")
    back.get_by_role("button", name=text["photo"]).click()
    gid.wait_for_function("document.querySelector('input[name=back]').files.length === 1")
    gid.get_by_role("button", name=text["submit"]).click()
    gid.get_by_role("checkbox").wait_for()  # biometric consent, after the processing screen
    if id_camera is not None:  # carry on with the face camera: the same inquiry, by its hand-off link
        inquiry_id = gid.evaluate("JSON.parse(document.getElementById('flow-data').textContent).inquiryId")
        session = api.post(f"/inquiries/{inquiry_id}/resume").json()["meta"]["session-token"]
        page.goto(f"{base}/verify?inquiry-id={inquiry_id}&session-token={session}&language={language}")
    shoot(page, "biometric-consent")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name=text["continue"]).click()
    page.get_by_role("button", name=text["camera"]).click()
    page.wait_for_function("document.querySelector('.selfie video').readyState >= 2")
    time.sleep(0.3)
    shoot(page, "selfie")
    for _pose in range(3):
        page.get_by_role("button", name=text["photo"]).click()
        page.wait_for_function("!document.querySelector('[data-camera-start]').disabled")
    page.wait_for_function("!document.querySelector('[data-submit]').disabled")
    shoot(page, "selfie-captured")
    page.get_by_role("button", name=text["submit"]).click()
    page.locator(".outcome").wait_for()
    shoot(page, "done")

    # A failed attempt (the sandbox's simulation) shows what to fix; a failed inquiry, what to do next.
    page.goto(f"{base}/verify?inquiry-template-id={templates['Government ID']}&language={language}")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name=text["continue"]).click()
    # The click only starts the navigation: read the step page's data once the step page is there (under load the
    # read ran between the two pages and found no document to read).
    page.locator('input[name="step-id"]').wait_for(state="attached")
    inquiry_id = page.evaluate("JSON.parse(document.getElementById('flow-data').textContent).inquiryId")
    step_id = page.locator('input[name="step-id"]').get_attribute("value")
    fail = {"type": "create_failed_verification", "data": {"verification-template-id": step_id}}
    assert api.post(f"/inquiries/{inquiry_id}/perform-simulate-actions", json={"meta": {"simulate-actions": [fail]}}).status_code == 200
    page.reload()
    page.locator(".retry").wait_for()
    shoot(page, "retry")
    assert api.post(f"/inquiries/{inquiry_id}/perform-simulate-actions",
                    json={"meta": {"simulate-actions": [{"type": "fail_inquiry"}]}}).status_code == 200
    page.reload()
    page.locator(".outcome.failed").wait_for()
    shoot(page, "done-failed")


def waiting_pages(page: Any, base: str, templates: dict[str, str], language: str, shoot: Shoot, jobs: Jobs) -> None:
    """The pages that wait: the desktop after "Continue on another device", and the processing screen while
    the checks' job has not run (the worker held back; the real government-ID checks read a generated licence)."""
    from openidv.flow import engines
    from openidv.testdata.idgen import make
    from openidv.verifications.government_id import service as government_ids

    text = TEXT[language]
    page.goto(f"{base}/verify?inquiry-template-id={templates['Government ID']}&language={language}")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name=text["continue"]).click()
    page.locator("form.handoff button").click()
    page.locator(".qr svg").wait_for()
    shoot(page, "handoff")

    sample = make("drivers_license", 5)
    engines.override(government_ids.KIND, government_ids.stored_checks)  # the sandbox would simulate the checks in the request
    jobs.stop()
    try:
        page.goto(f"{base}/verify?inquiry-template-id={templates['Government ID']}&language={language}")
        page.get_by_role("checkbox").check()
        page.get_by_role("button", name=text["continue"]).click()
        page.get_by_label(text["country"]).select_option("US")
        page.locator('input[name="id-class"][value="dl"]').check()
        for side in ("front", "back"):
            page.locator(f"#file-{side}").set_input_files(files=[{"name": f"{side}.jpg", "mimeType": "image/jpeg", "buffer": sample.jpeg(side)}])
        page.get_by_role("button", name=text["submit"]).click()
        page.locator(".processing").wait_for()
        shoot(page, "processing")
    finally:
        jobs.start()
        engines.remove_override(government_ids.KIND)
    page.locator(".processing").wait_for(state="detached", timeout=60_000)


def save_small(png: bytes, path: Path) -> int:
    """A palette PNG: screenshots of flat UI keep their look at a fraction of the size."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    image.save(path, "PNG", optimize=True)
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots" / "flow")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from flow_support import CHROMIUM, camera_args
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with running_app(tmp) as (base, templates, key, jobs), sync_playwright() as playwright:
            faces, cards = (playwright.chromium.launch(executable_path=CHROMIUM, args=camera_args(video), headless=True)
                            for video in (face_video(tmp / "face.y4m"), id_card_video(tmp / "card.y4m")))
            for size, viewport in SIZES.items():
                for language in LANGUAGES:
                    contexts = []
                    for browser in (faces, cards):
                        context = browser.new_context(viewport=viewport, is_mobile=size == "phone", has_touch=size == "phone",
                                                      base_url=base, locale=language, bypass_csp=True)
                        context.grant_permissions(["camera"], origin=base)
                        contexts.append(context)

                    def shoot(page: Any, name: str, size: str = size, language: str = language) -> None:
                        path = args.out / f"{size}-{language}-{name}.png"
                        page.evaluate("document.activeElement && document.activeElement.blur()")
                        print(f"{path}: {save_small(page.screenshot(full_page=True), path) // 1024} KB")

                    walk(contexts[0].new_page(), base, templates, key, language, shoot, id_camera=contexts[1].new_page())
                    waiting_pages(contexts[0].new_page(), base, templates, language, shoot, jobs)
                    for context in contexts:
                        context.close()


if __name__ == "__main__":
    main()
