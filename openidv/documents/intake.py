"""Intake of an uploaded file, the same for the API (`files.check`) and the hosted flow (the document kind's
capture): type by content, size, image pixels from the header, and for PDFs what `checks.document.inspect_pdf`
refuses (malformed, password, active content such as JavaScript, too many pages) plus the decompressed size.

**Decompressed size, without inflating.** A PDF's streams are compressed; a 1 MiB file can inflate to 1 GiB
in the engine (text extraction, page rendering). Before any PDF library opens the file, every deflate stream
found in the raw bytes is inflated here a chunk at a time into nothing (`zlib` with `max_length`), counting
bytes and stopping as soon as the total passes `MAX_INFLATED_BYTES`; then pypdf's view of the streams adds
those a raw scan cannot see (deflate behind ASCII85/hex, run-length, LZW, each decoded within the same budget)
and image XObjects whose declared pixels pass the image limit. Memory stays at a chunk; the time is that
of inflating at most the budget once.
"""

from __future__ import annotations

import io
import re
import zlib
from typing import Any

from pypdf import PdfReader
from pypdf.filters import ASCII85Decode, ASCIIHexDecode, LZWDecode, RunLengthDecode
from pypdf.generic import ArrayObject, NameObject, StreamObject

from openidv.checks import document as engine, quality

MAX_INFLATED_BYTES = 100 * 1024 * 1024  # all of a PDF's streams together, decompressed
CHUNK = 1024 * 1024
_STREAM = re.compile(rb"stream\r?\n")


class Refused(engine.DocumentRejected):
    """Refused at intake; `reason` names it for a translated message: pdf_inflated, pdf_active, pdf_pages,
    pdf_password, pdf_unreadable (and `values` fill it)."""

    def __init__(self, reason: str, message: str, **values: object) -> None:
        super().__init__(message)
        self.reason, self.values = reason, values


def _too_big() -> Refused:
    size = f"{MAX_INFLATED_BYTES // (1024 * 1024)} MB"
    return Refused("pdf_inflated", f"the PDF decompresses to more than {size}", size=size)


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise _too_big()


def _inflate(data: bytes | memoryview, budget: _Budget, *, keep: bool = False, raw: bool = False) -> bytes:
    """Inflate `data` a chunk at a time within `budget`; the output only when `keep` (still bounded)."""
    inflater = zlib.decompressobj(-15 if raw else 15)
    kept = bytearray()
    pending = bytes(data)
    while pending and not inflater.eof:
        out = inflater.decompress(pending, CHUNK)
        budget.spend(len(out))
        if keep:
            kept += out
        pending = inflater.unconsumed_tail
        if not out and not pending:
            break
    return bytes(kept)


def _raw_scan(data: bytes, budget: _Budget) -> None:
    """Every zlib stream that follows a `stream` keyword, inflated into nothing within the budget."""
    view = memoryview(data)
    for match in _STREAM.finditer(data):
        start = match.end()
        if data[start:start + 1] not in (b"\x78", b"\x08", b"\x18", b"\x28", b"\x38", b"\x48", b"\x58", b"\x68"):
            continue  # not a zlib header: an uncompressed or otherwise encoded stream
        end = data.find(b"endstream", start)
        try:
            _inflate(view[start:end if end > 0 else len(data)], budget)
        except zlib.error:
            continue  # not deflate after all, or damaged: the reader decides later


def _filters(stream: StreamObject) -> list[str]:
    value: Any = stream.get("/Filter")
    if value is None:
        return []
    value = value.get_object()
    return [str(v.get_object()) for v in value] if isinstance(value, ArrayObject) else [str(value)]


def _decoded_within(stream: StreamObject, budget: _Budget) -> None:
    """A stream whose filters the raw scan cannot see through, decoded step by step within the budget."""
    chain = _filters(stream)
    if not chain or chain == ["/FlateDecode"] or chain == ["/Fl"]:
        return
    data: bytes = getattr(stream, "_data", b"") or b""
    for name in chain:
        if name in ("/FlateDecode", "/Fl"):
            data = _inflate(data, budget, keep=True)
        elif name in ("/ASCIIHexDecode", "/AHx"):
            data = ASCIIHexDecode.decode(data)
        elif name in ("/ASCII85Decode", "/A85"):
            data = ASCII85Decode.decode(data)
        elif name in ("/RunLengthDecode", "/RL"):
            data = RunLengthDecode.decode(data)
            budget.spend(len(data))
        elif name in ("/LZWDecode", "/LZW"):
            data = LZWDecode.decode(data)
            budget.spend(len(data))
        else:
            return  # an image codec: its pixels are checked from the dictionary


def _pdf_streams(data: bytes, budget: _Budget) -> None:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        return  # inspect_pdf decides (a password-protected file is refused; its streams are opaque here)
    seen = 0
    for number, generations in list(getattr(reader, "xref", {}).items()):
        for generation in list(generations):
            seen += 1
            if seen > engine.MAX_PDF_NODES:
                raise Refused("pdf_unreadable", "too many objects to inspect")
            try:
                item = reader.get_object(number) if generation == 0 else None
            except Exception:  # noqa: BLE001 - a damaged object: the reader decides later
                continue
            if not isinstance(item, StreamObject):
                continue
            if item.get("/Subtype") == NameObject("/Image"):
                width, height = item.get("/Width", 0), item.get("/Height", 0)
                if isinstance(width, int) and isinstance(height, int) and (width * height > quality.MAX_PIXELS or max(width, height) > quality.MAX_SIDE):
                    raise Refused("pdf_inflated", f"the PDF holds an image of {width}x{height} pixels", size=f"{width}×{height}")
            _decoded_within(item, budget)


def inspect_pdf(data: bytes) -> engine.PdfFacts:
    """`checks.document.inspect_pdf` behind the decompressed-size limit; raises `Refused`."""
    budget = _Budget(MAX_INFLATED_BYTES)
    _raw_scan(data, budget)
    try:
        _pdf_streams(data, budget)
    except Refused:
        raise
    except Exception:  # noqa: BLE001 - pypdf raises many types on broken files; inspect_pdf says which
        pass
    try:
        return engine.inspect_pdf(data)
    except engine.DocumentRejected as exc:
        message = str(exc)
        if "active content" in message:
            raise Refused("pdf_active", message) from None
        if "password" in message:
            raise Refused("pdf_password", message) from None
        pages = re.search(r"has (\d+) pages", message)
        if pages:
            raise Refused("pdf_pages", message, pages=int(pages.group(1)), max=engine.MAX_PAGES) from None
        raise Refused("pdf_unreadable", message) from None


def check_upload(data: bytes, *, allow_pdf: bool = True) -> str:
    """`checks.document.check_upload` with the PDF checks above; the file's type, or `DocumentRejected`."""
    if allow_pdf and engine.sniff(data) == engine.PDF and quality.MIN_BYTES <= len(data) <= quality.MAX_BYTES:
        inspect_pdf(data)
        return engine.PDF
    return engine.check_upload(data, allow_pdf=allow_pdf)
