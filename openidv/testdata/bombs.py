"""Decompression bombs for intake tests and the abuse bench: a well-formed one-page PDF of about 1 MiB whose
content stream inflates to `inflated` bytes of zeros, and a PNG of a few hundred KB that decodes to
`side` x `side` grey pixels; both built without ever holding what they expand to."""

import struct
import zlib

MiB = 1 << 20


def pdf_bomb(inflated: int = 1 << 30) -> bytes:
    deflate = zlib.compressobj(9)
    zeros = b"\0" * (16 * MiB)
    body = b"".join([deflate.compress(zeros) for _ in range(inflated // len(zeros))] + [deflate.flush()])
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def png_bomb(side: int = 12_000) -> bytes:
    """A genuine PNG bomb: side x side 8-bit grey pixels (144 MB decoded at the default), about 140 KB."""
    deflate = zlib.compressobj(9)
    row = b"\0" * (side + 1)  # a filter byte, then the row
    data = b"".join(deflate.compress(row) for _ in range(side)) + deflate.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
