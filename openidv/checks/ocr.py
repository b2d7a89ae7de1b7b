"""Text recognition with rapidocr (PP-OCR's detector, direction classifier and recogniser, shipped inside
the `rapidocr-onnxruntime` wheel, Apache-2.0, nothing downloaded): `RapidOcr` is the `TextReader` of the
visual zone and the `PageReader` of papers (`checks.protocols`). One rapidocr instance per process, loaded
on first use (`engine()`); `RAPIDOCR` holds no model itself, so it is every evaluator's default."""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from openidv.checks.protocols import Image, Probabilities, Quad, TextLine

_LOCK = threading.Lock()
_ENGINE: Any = None  # rapidocr ships no type information


def ocr_threads() -> int:
    """onnxruntime threads per session: OPENIDV_OCR_THREADS, else one per core up to two (job
    workers run side by side; more threads than cores only adds contention)."""
    value = os.environ.get("OPENIDV_OCR_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else max(1, min(2, os.cpu_count() or 1))


def session_options() -> Any:
    """onnxruntime options of every session openidv runs: `ocr_threads()` threads that sleep between
    runs. onnxruntime's pool threads otherwise spin for a while after each run, and with several
    sessions (and the face detector) taking turns on two cores, the spinning of one slows the next:
    it cost a government ID about a third more CPU time and as much wall time."""
    import onnxruntime as ort  # noqa: PLC0415 - ~0.6 s to import: only when text is read

    options = ort.SessionOptions()
    options.intra_op_num_threads = ocr_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return options


def engine() -> Any:
    """rapidocr's full pipeline (detection + recognition), one per process, its sessions made with
    `session_options()` (rapidocr's own leave the threads spinning)."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            from rapidocr_onnxruntime import RapidOCR  # noqa: PLC0415 - ~1 s to import (onnxruntime): only when text is read
            from rapidocr_onnxruntime.utils import infer_engine  # noqa: PLC0415 - as RapidOCR

            # rapidocr takes no SessionOptions: its option builder is swapped for ours while its three sessions are made.
            sessions = infer_engine.OrtInferSession
            own = sessions.__dict__["_init_sess_opts"]
            sessions._init_sess_opts = staticmethod(lambda _config: session_options())  # noqa: SLF001
            try:
                _ENGINE = RapidOCR(intra_op_num_threads=ocr_threads(), inter_op_num_threads=1)
            finally:
                sessions._init_sess_opts = own  # noqa: SLF001
    return _ENGINE


def recognition_session() -> Any:
    """The PP-OCRv4 recognition model's onnxruntime session, shared by the visual zone's `RapidOcr` and
    the MRZ reader's `MrzLineRecogniser` (one copy of the model, one thread pool)."""
    return engine().text_rec.session.session


REC_HEIGHT = 32  # the recogniser's input height: a third of the CPU of its native 48 px, read as well on cards


def _strip(crop: Image, widest: float) -> Probabilities:
    """A text box as the recogniser's input: REC_HEIGHT high, scaled to [-1, 1], padded to `widest` heights."""
    import cv2  # noqa: PLC0415

    width = min(int(REC_HEIGHT * widest), math.ceil(REC_HEIGHT * crop.shape[1] / max(1, crop.shape[0])))
    resized = cv2.resize(crop, (width, REC_HEIGHT)).astype(np.float32).transpose(2, 0, 1) / 127.5 - 1.0
    out = np.zeros((3, REC_HEIGHT, int(REC_HEIGHT * widest)), np.float32)
    out[:, :, :width] = resized
    return out


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
        """The boxes through the recogniser in one batch, padded to the widest of them only: rapidocr's
        own call pads every input to at least 320 px (6.7 heights), more than a name or a date needs.
        Padding costs as much as text: callers batch boxes of similar shapes."""
        if not boxes:
            return []
        rec = engine().text_rec
        crops = engine().get_crop_img_list(rgb, np.array(boxes))
        ratios = [c.shape[1] / max(1, c.shape[0]) for c in crops]
        widest = max(ratios) + 0.5  # a little blank after the last character
        batch = np.stack([_strip(c, widest) for c in crops])
        results = rec.postprocess_op(rec.session(batch)[0], False, wh_ratio_list=ratios, max_wh_ratio=widest)
        return [text for text, *_rest in results]

    def read_page(self, rgb: Image, /) -> list[TextLine]:
        """Full-page OCR: detection, direction and recognition, as rapidocr's own call runs them."""
        result, _ = engine()(rgb)
        return [TextLine(box, text, score) for box, text, score in result or []]


RAPIDOCR: RapidOcr = RapidOcr()
