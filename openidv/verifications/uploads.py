"""Checks on captured files by content, never by the name or the browser's claimed type."""

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

MIN_BYTES = 10 * 1024
MAX_BYTES = 15 * 1024 * 1024
MIN_WIDTH, MIN_HEIGHT = 320, 240
MAX_PIXELS = 40_000_000  # refuses decompression bombs
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class InputProblem(Exception):
    """Something the person can fix; `key` and `values` name the catalogue message."""

    def __init__(self, field: str, key: str, **values: object) -> None:
        super().__init__(key)
        self.field, self.key, self.values = field, key, values


@dataclass(frozen=True)
class Checked:
    content: bytes
    mime_type: str
    width: int | None
    height: int | None


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def check(field: str, content: bytes | None, *, allow_pdf: bool = False) -> Checked:
    if not content:
        raise InputProblem(field, "upload.missing")
    if len(content) < MIN_BYTES:
        raise InputProblem(field, "upload.too_small", size=_size(len(content)))
    if len(content) > MAX_BYTES:
        raise InputProblem(field, "upload.too_large", size=_size(len(content)))
    if allow_pdf and content.startswith(b"%PDF-"):
        if b"%%EOF" not in content[-2048:]:
            raise InputProblem(field, "upload.unreadable")
        return Checked(content, "application/pdf", None, None)
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format or ""
            width, height = image.size
            if kind not in IMAGE_TYPES:
                raise InputProblem(field, "upload.bad_type", pdf=allow_pdf)
            if width * height > MAX_PIXELS:
                raise InputProblem(field, "upload.too_large", size=f"{width}×{height}")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, UnidentifiedImageError):
            raise InputProblem(field, "upload.bad_type", pdf=allow_pdf) from None
        raise InputProblem(field, "upload.unreadable") from None
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise InputProblem(field, "upload.too_few_pixels", width=width, height=height)
    return Checked(content, IMAGE_TYPES[kind], width, height)
