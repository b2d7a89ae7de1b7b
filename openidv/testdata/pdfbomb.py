"""A decompression bomb for intake tests and the flow's abuse bench: a well-formed one-page PDF of about
1 MiB whose content stream inflates to `inflated` bytes of zeros, built without ever holding them."""

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
