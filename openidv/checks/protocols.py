"""The engines the checks depend on, as protocols: a better model replaces a weaker one by handing the
evaluator another object (or function) of the same shape; the checks, their thresholds and everything
above them stay as they are.

| protocol | what it answers | what openidv ships |
| --- | --- | --- |
| `FaceDetector` | the faces in an RGB image | `faces.FaceEngine` (MediaPipe BlazeFace) |
| `FaceAnalyser` | a detected face's FaceMesh landmarks, eye openness and identity embedding | `faces.FaceEngine` (FaceMesh, iris model, dlib ResNet) |
| `TextDetector`, `TextRecogniser` | the text boxes of a picture; the text in given boxes | `ocr.RapidOcr` (PP-OCR) |
| `PageReader` | the text lines of a whole page | `ocr.RapidOcr` |
| `LineRecogniser` | per-frame character probabilities of an MRZ row | `mrz_reader.MrzLineRecogniser` (PP-OCRv4) |
| `MrzReader` | the MRZ of a document photo | `mrz_reader.read_mrz` |
| `BarcodeReader` | the payload of the PDF417 on a card | `barcode.decode_pdf417` |

Where they are taken: `government_id.evaluate(..., readers=Readers(...))` (MRZ, barcode, visual-zone
text, portrait detector), `selfie.evaluate(..., engine=...)` (a `FacePipeline`),
`document.evaluate(..., ocr=...)` (a `PageReader`), `visual_zone.confirm/extract(..., ocr=...)`,
`portrait.find_portrait(rgb, detector)` and `mrz_reader.read_mrz(image, recogniser=...)`. Every default is
the shipped engine, loaded once per process on first use. A replacement answers in the same units (pixels
of the image it was given; probabilities in 0-1); thresholds calibrated on the shipped models (the selfie
presets' embedding distances, for one) may need calibrating again with the benchmarks in `bench/`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol, TypeAlias, runtime_checkable

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from openidv.checks.faces import Face
    from openidv.checks.mrz_reader import MrzReading

Image: TypeAlias = npt.NDArray[np.uint8]  # 8-bit pixels: (h, w, 3) RGB, or (h, w) grayscale where said
Landmarks: TypeAlias = npt.NDArray[np.float64]  # (468, 3): MediaPipe FaceMesh points, x and y in image pixels
Embedding: TypeAlias = npt.NDArray[np.float32]  # an identity descriptor; the same person lies close (Euclidean)
Quad: TypeAlias = npt.NDArray[np.float32]  # (4, 2): a text box's corners, clockwise from its top left, in pixels
Probabilities: TypeAlias = npt.NDArray[np.float32]


@runtime_checkable
class FaceDetector(Protocol):
    def detect(self, rgb: Image, /, min_score: float = ..., small_faces: bool = ...) -> list[Face]:
        """Faces scoring at least `min_score` (0-1), best first, with their six keypoints. `small_faces`:
        also faces down to a few percent of the frame (slower)."""
        ...


@runtime_checkable
class FaceAnalyser(Protocol):
    def landmarks(self, rgb: Image, face: Face, /) -> tuple[Landmarks, float]:
        """The face's 468 points in MediaPipe FaceMesh's topology (the checks index them: `faces.NOSE_TIP`,
        `faces.EYE_R` ...), and how sure the model is that a face is there (0-1)."""
        ...

    def eye_openness(self, rgb: Image, points: Landmarks, /) -> float:
        """Lid gap over eye width, mean of both eyes (open ~0.25-0.35, shut well under half of that)."""
        ...

    def embedding(self, rgb: Image, face: Face, points: Landmarks | None = ..., /) -> Embedding:
        """The face's identity descriptor, aligned on `points` when given."""
        ...


@runtime_checkable
class FacePipeline(FaceDetector, FaceAnalyser, Protocol):
    """Detection, then landmarks and embedding of what was detected: what the selfie checks need."""


@runtime_checkable
class TextDetector(Protocol):
    def detect_text(self, rgb: Image, max_side: int, /) -> list[Quad]:
        """Text boxes of an RGB image whose longer side is at most `max_side`, top to bottom and left to right."""
        ...


@runtime_checkable
class TextRecogniser(Protocol):
    def recognise_text(self, rgb: Image, boxes: Sequence[Quad], /) -> list[str]:
        """The text in each box of the RGB image (one line each), in the boxes' order."""
        ...


@runtime_checkable
class TextReader(TextDetector, TextRecogniser, Protocol):
    """Boxes, then the text in the boxes worth reading: what the visual zone of an ID needs."""


class TextLine(NamedTuple):
    box: Sequence[Sequence[float]]  # the line's four corners (x, y) in pixels
    text: str
    score: float  # the recogniser's confidence, 0-1


@runtime_checkable
class PageReader(Protocol):
    def read_page(self, rgb: Image, /) -> list[TextLine]:
        """Every text line found on a page (an RGB image), in the detector's order."""
        ...


@runtime_checkable
class LineRecogniser(Protocol):
    def __call__(self, strips: list[Image], /) -> list[Probabilities]:
        """Grayscale strips `mrz_reader.STRIP_HEIGHT` px high, dark text on light -> per strip, one row of
        probabilities over `mrz_reader.ALPHABET` (the filler `<` first) per `mrz_reader.FRAME` px of its
        width, as a CTC recogniser's output frames: a character's mass lies on the frames over it."""
        ...


@runtime_checkable
class MrzReader(Protocol):
    def __call__(self, image: Image, /) -> MrzReading:
        """The MRZ of a document photo (RGB or grayscale): a reading only when certain, else why not."""
        ...


@runtime_checkable
class BarcodeReader(Protocol):
    def __call__(self, image: Image, /) -> str | None:
        """The payload of the first valid PDF417 in an RGB or grayscale image (its bytes as latin-1), or None."""
        ...


if TYPE_CHECKING:
    # The engines openidv ships, where their protocols are expected: mypy (strict for checks/) proves each
    # fits. tests/government_id/test_gid_protocols.py (and the selfie and document engine tests) swap in
    # other engines at run time.
    from openidv.checks import barcode, faces, mrz_reader, ocr

    _face_engine: FacePipeline = faces.FaceEngine()
    _shared_face_engine: FacePipeline = faces.SHARED_ENGINE
    _rapidocr_text: TextReader = ocr.RapidOcr()
    _rapidocr_page: PageReader = ocr.RAPIDOCR
    _line_recogniser: LineRecogniser = mrz_reader.MrzLineRecogniser()
    _mrz_reader: MrzReader = mrz_reader.read_mrz
    _barcode_reader: BarcodeReader = barcode.decode_pdf417
