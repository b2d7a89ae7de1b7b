"""Checks on captured files by content, never by the name or the browser's claimed type."""

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from PIL import Image, UnidentifiedImageError
from python_multipart.multipart import MultipartParseError, MultipartParser, parse_options_header

from openidv.kit import body_budget

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
    except Image.DecompressionBombError:  # Pillow's own guard, past twice its pixel limit: raised before the size is known
        raise InputProblem(field, "upload.too_large", size=f"over {MAX_PIXELS // 1_000_000} megapixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, UnidentifiedImageError):
            raise InputProblem(field, "upload.bad_type", pdf=allow_pdf) from None
        raise InputProblem(field, "upload.unreadable") from None
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise InputProblem(field, "upload.too_few_pixels", width=width, height=height)
    return Checked(content, IMAGE_TYPES[kind], width, height)


# ---------------------------------------------------------------- reading a form while it streams


class BodyTooLarge(Exception):
    """The request body passed `limit` bytes; reading stopped there (the caller answers 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes")
        self.limit = limit


class MalformedForm(ValueError):
    """The body is not a well-formed form of the declared type (the caller answers 400)."""


MAX_FORM_FILES = 10
MAX_FORM_FIELDS = 100
MAX_FIELD_BYTES = 64 * 1024


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)


async def read_form(chunks: AsyncIterator[bytes], content_type: str | None, *, limit: int,
                    hold: body_budget.Hold | None = None) -> tuple[dict[str, str], dict[str, bytes]]:
    """A `multipart/form-data` or `application/x-www-form-urlencoded` body read from `chunks` (Starlette's
    `request.stream()`) as it arrives, counting bytes: past `limit` it raises `BodyTooLarge` at once and reads
    no further, whatever `Content-Length` said (a chunked upload has none). Parts are kept in memory, so
    nothing touches the disk and nothing beyond `limit` (plus one chunk) is held. Files with neither a name
    nor content (an empty file input) are left out. Raises `MalformedForm` for a broken body. Each chunk kept is
    taken from `hold` (the process's body budget), which raises `body_budget.Exhausted` when it is spent."""
    mime, options = parse_options_header(content_type or "")
    total = 0

    async def counted() -> AsyncIterator[bytes]:
        nonlocal total
        async for chunk in chunks:
            total += len(chunk)
            if total > limit:
                raise BodyTooLarge(limit)
            if hold is not None:
                hold.add(len(chunk))
            yield chunk

    if mime == b"application/x-www-form-urlencoded" or mime == b"":
        body = bytearray()
        async for chunk in counted():
            body += chunk
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        except (UnicodeDecodeError, ValueError):
            raise MalformedForm("the form is not valid URL-encoded UTF-8") from None
        return dict(pairs), {}
    if mime != b"multipart/form-data" or not options.get(b"boundary"):
        raise MalformedForm("expected multipart/form-data or application/x-www-form-urlencoded")
    parts: list[_Part] = []
    headers: dict[bytes, bytes] = {}
    name = bytearray()
    value = bytearray()
    problems: list[str] = []

    def on_part_begin() -> None:
        headers.clear()
        parts.append(_Part())

    def on_header_field(data: bytes, start: int, end: int) -> None:
        name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        value.extend(data[start:end])

    def on_header_end() -> None:
        headers[bytes(name).lower()] = bytes(value)
        name.clear()
        value.clear()

    def on_headers_finished() -> None:
        _disposition, params = parse_options_header(headers.get(b"content-disposition", b""))
        part = parts[-1]
        part.name = params.get(b"name", b"").decode("utf-8", "replace")
        part.filename = params[b"filename"].decode("utf-8", "replace") if b"filename" in params else None
        if not part.name:
            problems.append("a part has no name")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        part = parts[-1]
        part.data.extend(data[start:end])
        if part.filename is None and len(part.data) > MAX_FIELD_BYTES:
            problems.append(f"field {part.name} is longer than {MAX_FIELD_BYTES} bytes")

    callbacks: Any = {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
    }
    parser = MultipartParser(options[b"boundary"], callbacks)
    async for chunk in counted():
        try:
            parser.write(chunk)
        except MultipartParseError:
            raise MalformedForm("the multipart body is malformed") from None
        if problems:
            raise MalformedForm(problems[0])
        if sum(p.filename is not None for p in parts) > MAX_FORM_FILES or sum(p.filename is None for p in parts) > MAX_FORM_FIELDS:
            raise MalformedForm("too many parts")
    try:
        parser.finalize()
    except MultipartParseError:
        raise MalformedForm("the multipart body is malformed") from None
    values: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for part in parts:
        if part.filename is None:
            try:
                values[part.name] = part.data.decode("utf-8")
            except UnicodeDecodeError:
                raise MalformedForm(f"field {part.name} is not UTF-8") from None
        elif part.filename or part.data:
            files[part.name] = bytes(part.data)
    return values, files
