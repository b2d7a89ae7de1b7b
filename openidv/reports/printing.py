"""`GET /reports/{id}/print`: the report as a plain PDF (text only, Helvetica, A4, as many pages as needed).

Written by hand rather than with a PDF library: a text-only document is a few objects, and the base-14
fonts need no embedding. Those fonts cover Latin-1 only, so other scripts are transliterated (anyascii)."""

from anyascii import anyascii

from openidv.kit.clock import iso, now
from openidv.models import Report

_WIDTH, _HEIGHT, _MARGIN, _LEADING, _LINES = 595, 842, 50, 14, 52


def _latin1(text: str) -> str:
    return "".join(ch if ord(ch) < 256 else anyascii(ch) for ch in text)


def _escape(text: str) -> bytes:
    return _latin1(text).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1", "replace")


def lines_of(report: Report) -> list[tuple[str, str]]:
    """(style, text) lines: `h` headings, `b` body."""
    query = report.query or {}
    result = report.result or {}
    out = [("h", f"Report {report.id}"), ("b", f"Type: report/{report.kind}"), ("b", f"Status: {report.status}"),
           ("b", f"Created: {iso(report.created_at)}"), ("b", f"Completed: {iso(report.completed_at) or '-'}"),
           ("b", f"Printed: {iso(now())}"), ("b", "")]
    out.append(("h", "Query"))
    out += [("b", f"{key}: {value}") for key, value in query.items()] or [("b", "(redacted)")]
    out += [("b", ""), ("h", f"Matches ({len(result.get('hits', []))})")]
    for hit in result.get("hits", []):
        out += [
            ("b", f"{hit['matched-name']} ({hit['alias-kind']}), list {hit['list']}, entity {hit['entity-id']}"),
            ("b", f"    score {hit['score']} (name {hit['name-score']}, {hit['scorer']} {hit['scorer-version']}, preset {hit['preset']})"),
            *(("b", f"    {q['qualifier']}: {q['effect']} ({q['delta']:+})") for q in hit.get("qualifiers", [])),
        ]
    if not result.get("hits"):
        out.append(("b", "No match."))
    if result.get("ignored"):
        out += [("b", ""), ("h", "Dismissed matches")]
        out += [("b", f"{i['hit']['matched-name']} ({i['hit']['entity-id']}): {i['reason'] or '-'}, by {i['user']} at {i['ignored-at']}")
                for i in result["ignored"]]
    return out


def render(report: Report) -> bytes:
    lines = lines_of(report)
    pages = [lines[i:i + _LINES] for i in range(0, len(lines), _LINES)] or [[]]
    objects: list[bytes] = [b"", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
                            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"]
    kids = []
    for page in pages:
        stream = [b"BT", f"{_MARGIN} {_HEIGHT - _MARGIN} Td {_LEADING} TL".encode()]
        for style, text in page:
            stream.append(b"/F2 12 Tf" if style == "h" else b"/F1 10 Tf")
            stream.append(b"(" + _escape(text[:110]) + b") Tj T*")
        stream.append(b"ET")
        content = b"\n".join(stream)
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_WIDTH} {_HEIGHT}] /Contents {len(objects)} 0 R "
                       "/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>".encode())
        kids.append(f"{len(objects)} 0 R")
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def filename(report: Report) -> str:
    return f"{report.id}.pdf"
