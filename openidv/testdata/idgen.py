"""Synthetic identity documents the project makes itself: TD3 passports, TD1 identity cards and US
driver's licences, with an OCR-B MRZ (the font ships in `fonts/`), a real PDF417 AAMVA barcode
(`pdf417gen`), a drawn portrait, the distortions a phone camera adds, and defective variants.

`make(kind, seed, defect=None)` returns a `Sample` (front and back images plus the truth);
`distort(image, name, seed)` returns a distorted copy. Nothing here is committed as images.

A sample depends on its arguments only, never on the calendar: its dates are drawn relative to
`REFERENCE` (not today), far enough ahead that a clean document is valid until `VALID_UNTIL` and a
defective one is expired or implausible whenever it is checked. The MRZ is drawn in OCR-B only (the
copy in `fonts/`, so every machine draws the same pixels): without it `make` refuses to draw one rather
than print it in another face the MRZ reader was never meant to read.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TypedDict

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from openidv.checks import aamva, icao_countries, mrz
from openidv.checks.mrz_reader import near_misses
from openidv.testdata.font_files import OCRB, SANS, SANS_BOLD

KINDS = ("passport", "id_card", "drivers_license")
DEFECTS = ("expired", "bad_check_digit", "front_mismatch", "specimen_number", "barcode_mismatch", "screen_photo",
           "invalid_dates", "same_number")
DISTORTIONS = ("clean", "rotation", "perspective", "blur", "jpeg", "noise", "glare", "low_resolution", "background")
# Numbers printed on published specimens (ICAO Doc 9303 examples and similar samples).
SPECIMEN_NUMBERS = ("L898902C3", "D23145890", "AB2134567", "123456789", "D1234567")
# The day documents are made for unless `make(today=...)` says otherwise. Clean documents expire
# VALIDITY days after it (issued ten years before), so they stay valid until VALID_UNTIL; expired
# ones expired before it; "invalid_dates" passports expire FAR_EXPIRY years after it (the limit is 20).
REFERENCE = date(2026, 12, 1)
VALIDITY = (2600, 3300)
VALID_UNTIL = REFERENCE + timedelta(days=VALIDITY[0])
FAR_EXPIRY = 40

FIRST = ["ANNA", "JOHN", "MARIA", "PETER", "LUCIA", "AHMED", "CHEN", "SOFIA", "OMAR", "ELENA", "JAMES", "NORA", "PAUL"]
LAST = ["ERIKSSON", "SMITH", "GARCIA", "MUELLER", "ROSSI", "NOVAK", "TANAKA", "DUBOIS", "KOWALSKI", "SILVA", "OKAFOR"]
STATES = [("UTO", "Utopia"), ("D", "Germany"), ("FRA", "France"), ("NLD", "Netherlands"), ("CAN", "Canada"), ("ESP", "Spain")]


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:
        return ImageFont.load_default(size)


@dataclass
class Sample:
    kind: str
    front: Image.Image
    back: Image.Image | None
    truth: dict[str, object]
    mrz_lines: list[str] = field(default_factory=list)
    barcode: str | None = None
    defect: str | None = None

    def jpeg(self, side: str = "front", quality: int = 90) -> bytes:
        image = self.front if side == "front" else self.back
        assert image is not None
        buf = io.BytesIO()
        image.convert("RGB").save(buf, "JPEG", quality=quality)
        return buf.getvalue()


# The holder as drawn (the keys are the verification's attribute names).
Person = TypedDict("Person", {"name-first": str, "name-last": str, "birthdate": date, "expiration-date": date,
                              "issue-date": date, "identification-number": str, "sex": str})


def _person(rng: random.Random, today: date) -> Person:
    birth = date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
    # The draw made when expiry lay 200-3000 days after the calendar's day, scaled into VALIDITY: the
    # draws after it (number, names, sex) are the ones each seed always had.
    expiry = today + timedelta(days=VALIDITY[0] + (rng.randint(200, 3000) - 200) * (VALIDITY[1] - VALIDITY[0]) // 2800)
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    number = rng.choice(letters) + "".join(rng.choice("0123456789" + letters) for _ in range(7)) + rng.choice("0123456789")
    return {"name-first": rng.choice(FIRST), "name-last": rng.choice(LAST), "birthdate": birth,
            "expiration-date": expiry, "issue-date": expiry - timedelta(days=3652), "identification-number": number,
            "sex": rng.choice("MF")}


def _portrait(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A drawn head and shoulders. Face size, colours, hair and a soft background texture differ per
    person, as real portraits do (the perceptual hash of `id_compromised_detection` relies on it)."""
    w, h = size
    img = _background(rng, size).point(lambda v: 160 + v // 4)
    d = ImageDraw.Draw(img)
    skin = rng.choice([(241, 194, 167), (198, 134, 66), (141, 85, 36), (224, 172, 105)])
    k = rng.uniform(0.92, 1.08)  # face scale around the centre (0.5, 0.45)
    x = lambda v: w * (0.5 + (v - 0.5) * k)  # noqa: E731
    y = lambda v: h * (0.45 + (v - 0.45) * k)  # noqa: E731
    d.ellipse((w * 0.15, h * 0.75, w * 0.85, h * 1.3), fill=(rng.randint(20, 90),) * 3)  # shoulders
    d.ellipse((x(0.28), y(0.18), x(0.72), y(0.72)), fill=skin)
    d.chord((x(0.26), y(0.12), x(0.74), y(0.5)), 180, 360, fill=(rng.randint(10, 90), 40, 20))  # hair
    for ex in (0.4, 0.6):
        d.ellipse((x(ex) - 5, y(0.42) - 3, x(ex) + 5, y(0.42) + 3), fill=(30, 30, 30))
    d.arc((x(0.42), y(0.52), x(0.58), y(0.62)), 20, 160, fill=(120, 40, 40), width=2)
    return img


def _fmt_date(d: date) -> str:
    return d.strftime("%d %b %Y").upper()


class FontMissing(RuntimeError):
    """The OCR-B font an MRZ must be drawn in is missing from the package."""


def _ocrb(size: int) -> ImageFont.FreeTypeFont:
    """OCR-B, or an error: another face (Pillow's default is proportional, its `M` wider than a cell)
    makes MRZs no document carries, and tests that fail for the font look like reader bugs."""
    try:
        return ImageFont.truetype(str(OCRB), size)
    except OSError:
        raise FontMissing(f"the OCR-B font {OCRB} is missing: it ships in openidv/testdata/fonts/") from None


def _mrz_block(draw: ImageDraw.ImageDraw, lines: list[str], x: int, y: int, width: int) -> None:
    size = int(width / len(lines[0]) * 1.55)
    font = _ocrb(size)
    for i, line in enumerate(lines):
        # Fixed pitch: each character in its own cell, as OCR-B MRZs are printed.
        pitch = width / len(line)
        for j, c in enumerate(line):
            draw.text((x + j * pitch, y + i * size * 1.25), c, font=font, fill=(15, 15, 15))


def _card(size: tuple[int, int], rng: random.Random, title: str) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    tint = rng.choice([(236, 232, 214), (220, 232, 238), (238, 226, 230), (228, 238, 224)])
    img = Image.new("RGB", size, tint)
    d = ImageDraw.Draw(img)
    for k in range(0, size[0], 24):  # guilloche-like background lines
        d.arc((k - 200, -100, k + 200, size[1] + 100), 0, 360, fill=tuple(max(0, c - 18) for c in tint), width=1)
    d.rectangle((0, 0, size[0], 56), fill=(40, 70, 120))
    d.text((20, 12), title, font=_font(SANS_BOLD, 28), fill=(255, 255, 255))
    return img, d


def _valid(lines: list[str]) -> bool:
    try:
        return mrz.parse(lines).valid
    except mrz.MrzError:
        return False


def _mrz_date(d: date) -> str:
    return d.strftime("%y%m%d")


def make(kind: str, seed: int, defect: str | None = None, *, today: date | None = None) -> Sample:
    if defect == "screen_photo":  # the genuine document, photographed off a display
        sample = make(kind, seed, today=today)
        sample.front, sample.defect = screen_photo(sample.front, seed), defect
        return sample
    rng = random.Random(f"{kind}-{seed}-{defect}")
    today = today or REFERENCE  # never the calendar's day: the same arguments make the same document
    p = _person(rng, today)
    if defect == "expired":
        p["expiration-date"] = today - timedelta(days=rng.randint(30, 900))
    if defect == "specimen_number":
        p["identification-number"] = rng.choice(SPECIMEN_NUMBERS[:3] if kind != "drivers_license" else SPECIMEN_NUMBERS[3:])
    original = random.Random(f"{kind}-{seed}-None")  # the draws make(kind, seed) starts with
    if defect == "same_number":  # another person's document with the number and issuer of make(kind, seed)
        p["identification-number"] = _person(original, today)["identification-number"]
    if defect == "invalid_dates":  # a licence issued before its holder was born; a passport expiring 40 years on
        if kind == "drivers_license":
            p["issue-date"] = p["birthdate"] - timedelta(days=400)
        else:
            p["expiration-date"] = today + timedelta(days=FAR_EXPIRY * 365)
    state, country = rng.choice(STATES)
    if defect == "same_number":
        state, country = original.choice(STATES)
    printed = p.copy()
    if defect == "front_mismatch":
        printed["name-last"] = next(n for n in LAST if n != p["name-last"])
    field_font, label_font = _font(SANS, 24), _font(SANS, 15)

    def fields(d: ImageDraw.ImageDraw, x: int, y: int, rows: list[tuple[str, str]]) -> None:
        for i, (label, value) in enumerate(rows):
            d.text((x, y + i * 58), label, font=label_font, fill=(70, 70, 90))
            d.text((x, y + i * 58 + 17), value, font=field_font, fill=(10, 10, 10))

    if kind == "drivers_license":
        front, d = _card((1012, 638), rng, "CALIFORNIA  DRIVER LICENSE")
        front.paste(_portrait(rng, (250, 310)), (30, 90))
        fields(d, 310, 80, [("DL", str(p["identification-number"])), ("LN", str(printed["name-last"])),
                            ("FN", str(printed["name-first"])), ("DOB", p["birthdate"].strftime("%m/%d/%Y")),
                            ("EXP", p["expiration-date"].strftime("%m/%d/%Y")), ("SEX", str(p["sex"]))])
        elements = {"DAQ": str(p["identification-number"]), "DCS": str(p["name-last"]), "DAC": str(p["name-first"]),
                    "DAD": "", "DBB": p["birthdate"].strftime("%m%d%Y"), "DBA": p["expiration-date"].strftime("%m%d%Y"),
                    "DBD": p["issue-date"].strftime("%m%d%Y"), "DBC": "1" if p["sex"] == "M" else "2",
                    "DAG": f"{rng.randint(1, 9999)} MAIN ST", "DAI": "SACRAMENTO", "DAJ": "CA", "DAK": "958140000", "DCG": "USA"}
        if defect == "barcode_mismatch":
            elements["DBB"] = (p["birthdate"] + timedelta(days=400)).strftime("%m%d%Y")
        payload = aamva.build(elements, iin="636014", version=rng.choice([8, 9, 10]))
        back, d2 = _card((1012, 638), rng, "")
        import pdf417gen  # test-data only dependency

        codes = pdf417gen.encode(payload, columns=10, security_level=4)
        bar = pdf417gen.render_image(codes, scale=2, ratio=3, padding=10).convert("RGB")
        bar.thumbnail((900, 400))
        back.paste(bar, ((1012 - bar.width) // 2, 180))
        truth = p | {"id-class": "dl", "issuing-country": "US", "issuing-subdivision": "CA"}
        return Sample(kind, front, back, truth, barcode=payload, defect=defect)

    fmt = "TD3" if kind == "passport" else "TD1"
    lines = mrz.build(fmt, document_code="P" if fmt == "TD3" else "ID", issuing_state=state,
                      document_number=str(p["identification-number"]), nationality=state,
                      birthdate=_mrz_date(p["birthdate"]), sex=str(p["sex"]),
                      expiration=_mrz_date(p["expiration-date"]), surname=str(p["name-last"]),
                      given_names=str(p["name-first"]))
    if defect == "bad_check_digit":
        row, col = (1, 19) if fmt == "TD3" else (1, 6)
        wrong = int(lines[row][col]) + rng.randint(1, 9)
        # A certain disagreement: no one look-alike misread explains it (`near_misses`; one that
        # does is a retake for the MRZ reader, as it must be: the next digit is taken instead).
        for step in range(10):
            digit = str((wrong + step) % 10)
            tampered = [*lines[:row], lines[row][:col] + digit + lines[row][col + 1:], *lines[row + 1:]]
            if digit != lines[row][col] and not any(_valid(c) for c in near_misses(fmt, tampered)):
                break
        lines = tampered
    rows = [("Surname", str(printed["name-last"])), ("Given names", str(printed["name-first"])),
            ("Date of birth", _fmt_date(p["birthdate"])), ("Sex", str(p["sex"])),
            ("Date of expiry", _fmt_date(p["expiration-date"])), ("Document no.", str(p["identification-number"]))]
    truth = p | {"id-class": "pp" if fmt == "TD3" else "id", "issuing-country": icao_countries.to_iso2(state)}
    if fmt == "TD3":
        front, d = _card((1000, 704), rng, f"PASSPORT  {country.upper()}")
        front.paste(_portrait(rng, (240, 300)), (30, 80))
        fields(d, 300, 70, rows)
        _mrz_block(d, lines, 40, 580, 920)
        return Sample(kind, front, None, truth, mrz_lines=lines, defect=defect)
    front, d = _card((1012, 638), rng, f"IDENTITY CARD  {country.upper()}")
    front.paste(_portrait(rng, (250, 310)), (30, 80))
    fields(d, 310, 70, rows)
    back, d2 = _card((1012, 638), rng, "")
    _mrz_block(d2, lines, 50, 420, 910)
    return Sample(kind, front, back, truth, mrz_lines=lines, defect=defect)


# ---------------------------------------------------------------- distortions


def _background(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    arr = np.random.default_rng(rng.randint(0, 2**31)).integers(60, 200, (size[1] // 8 + 1, size[0] // 8 + 1, 3), dtype=np.uint8)
    return Image.fromarray(arr).resize(size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(3))


def distort(image: Image.Image, name: str, seed: int = 0) -> Image.Image:
    rng = random.Random(f"{name}-{seed}")
    img = image.convert("RGB")
    if name == "clean":
        return img
    if name == "rotation":
        return img.rotate(rng.choice([-1, 1]) * rng.uniform(2, 8), expand=True, fillcolor=(90, 90, 90), resample=Image.Resampling.BICUBIC)
    if name == "perspective":
        import cv2

        w, h = img.size
        m = 0.06
        src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
        dst = np.array([[rng.uniform(0, m) * w, rng.uniform(0, m) * h], [w - rng.uniform(0, m) * w, rng.uniform(0, m) * h],
                        [w - rng.uniform(0, m) * w, h - rng.uniform(0, m) * h], [rng.uniform(0, m) * w, h - rng.uniform(0, m) * h]],
                       np.float32)
        matrix = cv2.getPerspectiveTransform(src, dst)
        return Image.fromarray(cv2.warpPerspective(np.asarray(img), matrix, (w, h), borderValue=(90, 90, 90)))
    if name == "blur":
        return img.filter(ImageFilter.GaussianBlur(rng.uniform(1.0, 1.6)))
    if name == "heavy_blur":
        return img.filter(ImageFilter.GaussianBlur(9))
    if name == "jpeg":
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=rng.randint(25, 40))
        return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    if name == "noise":
        arr = np.asarray(img).astype(np.int16)
        arr = arr + np.random.default_rng(seed).normal(0, 14, arr.shape).astype(np.int16)
        return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    if name == "glare":
        w, h = img.size
        arr = np.asarray(img).astype(np.float32)
        yy, xx = np.mgrid[0:h, 0:w]
        cx, cy, r = rng.uniform(0.3, 0.7) * w, rng.uniform(0.15, 0.45) * h, rng.uniform(0.12, 0.2) * w
        # A veiling reflection: white light mixed in (text keeps some contrast), not blown out.
        spot = rng.uniform(0.45, 0.65) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))[..., None]
        return Image.fromarray(np.clip(arr * (1 - spot) + 255 * spot, 0, 255).astype(np.uint8))
    if name == "heavy_glare":
        w, h = img.size
        arr = np.asarray(img).copy()
        arr[int(h * 0.1):int(h * 0.7), int(w * 0.2):int(w * 0.8)] = 255
        return Image.fromarray(arr)
    if name == "low_resolution":
        w, h = img.size
        return img.resize((int(w * 0.62), int(h * 0.62)), Image.Resampling.BILINEAR)
    if name == "background":
        w, h = img.size
        canvas = _background(rng, (int(w * 1.3), int(h * 1.35)))
        canvas.paste(img, (rng.randint(20, int(w * 0.3) - 20), rng.randint(20, int(h * 0.35) - 20)))
        return canvas
    raise ValueError(f"unknown distortion {name!r}")


def screen_photo(image: Image.Image, seed: int = 0) -> Image.Image:
    """The card shown on an LCD and photographed: each pixel becomes red, green and blue sub-pixel
    stripes with dark gaps between rows, the camera sees the panel slightly turned and resamples it
    (moiré), the display's backlight lifts and tints the picture, and the phone saves a JPEG."""
    rng = random.Random(f"screen-{seed}")
    w, h = image.size
    up = 3
    panel = np.asarray(image.convert("RGB").resize((w * up, h * up), Image.Resampling.NEAREST)).astype(np.float32)
    column = np.arange(panel.shape[1]) % up
    for c in range(3):
        panel[:, column != c, c] *= 0.25
    panel[np.arange(panel.shape[0]) % up == up - 1] *= 0.5
    shot = Image.fromarray(panel.astype(np.uint8)).rotate(rng.uniform(-4, 4), resample=Image.Resampling.BILINEAR, fillcolor=(12, 12, 16))
    scale = rng.uniform(0.8, 0.95)  # a close-up: each display pixel spans 2.4-2.9 camera pixels
    shot = shot.resize((int(w * up * scale), int(h * up * scale)), Image.Resampling.BILINEAR)
    lit = np.asarray(shot).astype(np.float32) * rng.uniform(1.9, 2.3) + np.array([0, 6, 22], np.float32)
    buf = io.BytesIO()
    Image.fromarray(np.clip(lit, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=rng.randint(70, 90))
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
