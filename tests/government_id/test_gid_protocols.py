"""The engines behind `openidv.checks.protocols`. Statically, mypy (strict for checks/) proves that each
engine openidv ships fits its protocol: the assignments at the end of protocols.py, and every default
that an evaluator declares with a protocol type. Here, at run time: each shipped engine has its
protocol's shape, and `evaluate()` reads with the engines it is given (another real engine swapped in
reads what it can read, and the checks follow it)."""

import functools
import io
from typing import Any

import cv2
import numpy as np
import segno
from PIL import Image

from openidv.checks import barcode, faces, mrz_reader, ocr, protocols
from openidv.checks.government_id import DEFAULT_READERS, Evidence, Readers, evaluate
from openidv.testdata.idgen import make


def jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=92)
    return buf.getvalue()


def failed(result) -> set[str]:
    return {c["name"] for c in result.checks if c["status"] == "failed" and c["requirement"] == "required"}


def test_each_shipped_engine_has_its_protocols_shape() -> None:
    shipped = [
        (faces.engine(), protocols.FacePipeline), (faces.SHARED_ENGINE, protocols.FacePipeline),
        (ocr.RAPIDOCR, protocols.TextReader), (ocr.RAPIDOCR, protocols.PageReader),
        (mrz_reader.shared_recogniser(), protocols.LineRecogniser), (mrz_reader.read_mrz, protocols.MrzReader),
        (barcode.decode_pdf417, protocols.BarcodeReader),
    ]
    for engine, protocol in shipped:
        assert isinstance(engine, protocol), (engine, protocol)
    assert DEFAULT_READERS == Readers(mrz_reader.read_mrz, barcode.decode_pdf417, ocr.RAPIDOCR, faces.SHARED_ENGINE)


class QrCodeReader:
    """Another real `BarcodeReader`: OpenCV's QR code decoder (another symbology, another library)."""

    def __call__(self, image: np.ndarray) -> str | None:
        text, _corners, _straight = cv2.QRCodeDetectorAruco().detectAndDecode(np.ascontiguousarray(image))
        return text or None


def test_evaluate_reads_the_barcode_with_the_reader_it_is_given() -> None:
    licence = make("drivers_license", 11)
    # A plain card back carrying the licence's AAMVA payload (as idgen built it) in a QR code, not a PDF417.
    code = io.BytesIO()
    segno.make(licence.barcode.encode("latin-1"), error="m", mode="byte").save(code, kind="png", scale=6, border=4)
    back = Image.new("RGB", licence.back.size, (236, 232, 214))
    back.paste(Image.open(code).convert("RGB"), (320, 120))
    evidence = Evidence(jpeg(licence.front), jpeg(back), country_code="US", id_class="dl")

    shipped = evaluate(evidence)  # the PDF417 reader finds no PDF417
    assert shipped.barcode is None and "id_barcode_detection" in failed(shipped)

    swapped = evaluate(evidence, readers=Readers(barcode=QrCodeReader()))
    assert swapped.barcode == licence.barcode and failed(swapped) == set()
    assert swapped.check("id_barcode_detection")["metadata"]["aamva-version"] in (8, 9, 10)
    truth = licence.truth
    assert (swapped.attributes["identification-number"], swapped.attributes["birthdate"]) == (truth["identification-number"], truth["birthdate"])


class Counted:
    """A shipped engine, counting what goes through it."""

    def __init__(self, engine: object) -> None:
        self.engine, self.calls = engine, 0

    def __call__(self, *args) -> Any:
        self.calls += 1
        return self.engine(*args)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.engine, name)

        def counted(*args, **kwargs):
            self.calls += 1
            return method(*args, **kwargs)
        return counted


def test_evaluate_reads_with_every_engine_it_is_given() -> None:
    passport = make("passport", 11)
    evidence = Evidence(jpeg(passport.front), id_class="pp")
    lines, text, detector = Counted(mrz_reader.shared_recogniser()), Counted(ocr.RAPIDOCR), Counted(faces.SHARED_ENGINE)
    readers = Readers(mrz=functools.partial(mrz_reader.read_mrz, recogniser=lines), text=text, faces=detector)
    through = evaluate(evidence, readers=readers)
    assert lines.calls >= 1 and text.calls >= 2 and detector.calls >= 1  # MRZ rows; front's boxes and their text; portrait tiles
    assert through.mrz_lines == passport.mrz_lines and failed(through) == set()
    shipped = evaluate(evidence)  # the same engines by default: the same answers
    assert (through.checks, through.attributes, through.portrait_hash) == (shipped.checks, shipped.attributes, shipped.portrait_hash)


def test_a_card_is_read_where_its_data_is_printed() -> None:
    """An ID card's MRZ is looked for on the back first (the front is not read once the back gave it),
    and its PDF417, then only a cross-check, on the back alone; the shipped reader's plain passes still
    read a clean licence barcode."""
    card = make("id_card", 12)
    mrz, barcodes = Counted(mrz_reader.read_mrz), Counted(barcode.decode_pdf417)
    result = evaluate(Evidence(jpeg(card.front), jpeg(card.back), id_class="id"), readers=Readers(mrz=mrz, barcode=barcodes))
    assert result.mrz_lines == card.mrz_lines and failed(result) == set()
    assert (mrz.calls, barcodes.calls) == (1, 1)  # the back only, for both
    licence = make("drivers_license", 12)
    assert barcode.decode_pdf417(np.asarray(licence.back.convert("RGB")), thorough=False) == licence.barcode
