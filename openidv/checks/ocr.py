"""Text recognition with rapidocr (PP-OCR's detector, direction classifier and recogniser, shipped inside
the `rapidocr-onnxruntime` wheel, Apache-2.0, nothing downloaded): `RapidOcr` is the `TextReader` of the
visual zone and the `PageReader` of papers (`checks.protocols`). One rapidocr instance per process, loaded
on first use (`engine()`); `RAPIDOCR` holds no model itself, so it is every evaluator's default."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from openidv.checks.protocols import Image, Quad, TextLine

_LOCK = threading.Lock()
_ENGINE: Any = None  # rapidocr ships no type information


def ocr_threads() -> int:
    """onnxruntime threads per session: OPENIDV_OCR_THREADS, else one per core up to two (job
    workers run side by side; more threads than cores only adds contention)."""
    value = os.environ.get("OPENIDV_OCR_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else max(1, min(2, os.cpu_count() or 1))


def engine() -> Any:
    """rapidocr's full pipeline (detection + recognition), one per process."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            from rapidocr_onnxruntime import RapidOCR  # noqa: PLC0415 - ~1 s to import (onnxruntime): only when text is read

            _ENGINE = RapidOCR(intra_op_num_threads=ocr_threads(), inter_op_num_threads=1)
    return _ENGINE


class RapidOcr:
    """rapidocr's models as `TextDetector`, `TextRecogniser` and `PageReader`."""

    def detect_text(self, rgb: Image, max_side: int, /) -> list[Quad]:
        """The detector once on the image (at most `max_side` px a side), boxes sorted in reading order."""
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess  # noqa: PLC0415 - as RapidOCR in engine()

        ocr = engine()
        prepared = DetPreProcess(max_side, "max", ocr.text_det.mean, ocr.text_det.std)(rgb)
        if prepared is None:
            return []
        boxes, _ = ocr.text_det.postprocess_op(ocr.text_det.infer(prepared)[0], rgb.shape[:2])
        if boxes is None or not len(boxes):
            return []
        boxes = ocr.sorted_boxes(ocr.text_det.filter_tag_det_res(boxes, rgb.shape[:2]))
        return [np.asarray(b, np.float32) for b in boxes]

    def recognise_text(self, rgb: Image, boxes: Sequence[Quad], /) -> list[str]:
        """The boxes through the recogniser in one batch, padded to the widest of them only: a call has a
        fixed cost of about two thirds of a box's, and rapidocr's own call pads every input to at least
        320 px (6.7 heights), more than a name or a date needs."""
        if not boxes:
            return []
        rec = engine().text_rec
        crops = engine().get_crop_img_list(rgb, np.array(boxes))
        ratios = [c.shape[1] / max(1, c.shape[0]) for c in crops]
        widest = max(ratios) + 0.5  # a little blank after the last character
        batch = np.stack([rec.resize_norm_img(c, widest) for c in crops]).astype(np.float32)
        results = rec.postprocess_op(rec.session(batch)[0], False, wh_ratio_list=ratios, max_wh_ratio=widest)
        return [text for text, *_rest in results]

    def read_page(self, rgb: Image, /) -> list[TextLine]:
        """Full-page OCR: detection, direction and recognition, as rapidocr's own call runs them."""
        result, _ = engine()(rgb)
        return [TextLine(box, text, score) for box, text, score in result or []]


RAPIDOCR: RapidOcr = RapidOcr()
