"""`GET /inquiries/{id}/print`: the case page (`openidv.inquiries.case`) as a PDF, A4, with its pictures.

fpdf2 writes it in the process (no browser, no system service); the text is set in DejaVu Sans, shipped in
the package (`openidv/testdata/fonts`), so any script prints and the PDF embeds the subset it uses. A redacted
inquiry prints its statuses, check names and timeline only: `case.gather` keeps nothing else."""

from __future__ import annotations

import io
import json
from typing import Any

from fpdf import FPDF
from PIL import Image

from openidv.checks import quality
from openidv.inquiries.case import PORTRAIT_SIDE, Case, DocumentFile, Picture, VerificationCase, content
from openidv.kit.clock import iso, now
from openidv.testdata.font_files import SANS, SANS_BOLD

FONT = "DejaVu"
PICTURE_MM = 58  # three pictures side by side on A4
PICTURE_PX = 900  # pictures are scaled down to this before embedding


def filename(case: Case) -> str:
    return f"inquiry-{case.inquiry.id}.pdf"


class _Doc(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.add_font(FONT, "", str(SANS))
        self.add_font(FONT, "B", str(SANS_BOLD))
        self.set_title(title)
        self.set_creator("openidv")
        self.set_auto_page_break(True, margin=15)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, f"{self.title} · page {self.page_no()}", align="C")

    def heading(self, text: str, size: int = 13) -> None:
        self.ln(2)
        self.set_font(FONT, "B", size)
        self.multi_cell(0, 7, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 9)

    def line_of(self, text: str, *, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", 9)
        self.multi_cell(0, 4.6, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 9)

    def pair(self, key: str, value: Any) -> None:
        self.line_of(f"{key}: {'—' if value in (None, '') else value}")

    def pictures(self, items: list[Picture] | list[DocumentFile]) -> None:
        """A row of pictures, as many as fit across, starting a new page when the row would not fit."""
        x, row_height = self.l_margin, 0.0
        top = self.get_y() + 1
        for item in items:
            data = _thumbnail(content(item), getattr(item, "box", None))
            if data is None:
                continue
            width, height = data[1]
            w = min(PICTURE_MM, PICTURE_MM * 1.1 * width / height)  # at most as tall as 1.1 times the column is wide
            h = w * height / width
            if x + PICTURE_MM > self.w - self.r_margin:
                x, top, row_height = self.l_margin, top + row_height + 7, 0.0
            if top + h + 6 > self.page_break_trigger:
                self.add_page()
                x, top, row_height = self.l_margin, self.get_y() + 1, 0.0
            self.image(data[0], x=x, y=top, w=w, h=h)
            self.set_xy(x, top + h)
            self.set_font(FONT, "", 8)
            self.cell(PICTURE_MM, 5, item.label if isinstance(item, Picture) else item.filename)
            x, row_height = x + PICTURE_MM + 4, max(row_height, h)
        if row_height:
            self.set_xy(self.l_margin, top + row_height + 7)


def _thumbnail(data: bytes | None, box: list[int] | None = None) -> tuple[io.BytesIO, tuple[int, int]] | None:
    """The picture as a JPEG at most PICTURE_PX across (HEIC and WebP included), or None if it cannot be read;
    with a `box` (the ID's portrait, at the scale the checks read the photo), only the face with some margin."""
    if not data or quality.sniff(data) is None:
        return None
    try:
        image = Image.fromarray(quality.decode(data, max_side=PORTRAIT_SIDE if box else PICTURE_PX).rgb)
    except (quality.ImageRejected, ValueError, OSError):
        return None
    if box:
        x, y, w, h = box
        image = image.crop((max(0, int(x - 0.45 * w)), max(0, int(y - 0.6 * h)), min(image.width, int(x + 1.45 * w)), min(image.height, int(y + 1.6 * h))))
        image.thumbnail((PICTURE_PX, PICTURE_PX))
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=85)
    out.seek(0)
    return out, image.size


def _verification(doc: _Doc, v: VerificationCase, case: Case) -> None:
    row = v.row
    doc.heading(f"{row.kind.replace('-', ' ').capitalize()} verification {row.id}: {row.status}", 11)
    doc.pair("Submitted", iso(row.submitted_at))
    doc.pair("Concluded", iso(row.completed_at))
    pictures = ([v.id_portrait] if v.id_portrait else []) + v.pictures
    if pictures:
        doc.pictures(pictures)
    if v.comparisons:
        doc.line_of("Read from the ID, beside the inquiry's fields", bold=True)
        for c in v.comparisons:
            mark = "  << DIFFERS" if c.differs else ""
            doc.line_of(f"{c.label}: ID {c.read or '—'} | inquiry {c.given or '—'}{mark}")
    for key, value in v.other_read.items():
        doc.pair(key, value)
    if row.kind == "government-id" and not case.redacted:
        doc.line_of("MRZ" if v.mrz_lines else "MRZ: not read", bold=bool(v.mrz_lines))
        for line in v.mrz_lines:
            doc.line_of(line)
        doc.pair("Barcode", v.barcode_text or "not read")
    if v.face is not None:
        doc.line_of(f"Face match: {v.face.status}, score {v.face.score if v.face.score is not None else '—'} / 100, distance "
                    f"{v.face.distance if v.face.distance is not None else '—'} (same person at or under {v.face.threshold})", bold=True)
    if v.liveness is not None:
        doc.line_of(f"Liveness ({v.liveness.level or 'basic'}): {v.liveness.status} {', '.join(v.liveness.reasons)}", bold=True)
        doc.line_of(f"Signals {json.dumps(v.liveness.signals)}; thresholds {json.dumps(v.liveness.thresholds)}")
    doc.line_of("Checks", bold=True)
    for check in v.checks:
        requirement = "required" if check["requirement"] == "required" else "not required"
        reasons = ", ".join(check.get("reasons") or []) or "—"
        metadata = f"; {json.dumps(check['metadata'], ensure_ascii=False)}" if check["metadata"] else ""
        doc.line_of(f"{check['name']}: {check['status']} ({requirement}); reasons {reasons}{metadata}")
    if not v.checks:
        doc.line_of("No checks yet.")


def render(case: Case) -> bytes:
    inquiry = case.inquiry
    doc = _Doc(f"Inquiry {inquiry.id}")
    doc.heading(f"Inquiry {inquiry.id}", 16)
    if case.name:
        doc.line_of(case.name, bold=True)
    for key, value in (("Status", inquiry.status), ("Template", inquiry.template_id), ("Reference id", inquiry.reference_id),
                       ("Account", inquiry.account_id), ("Created", iso(inquiry.created_at)), ("Completed", iso(inquiry.completed_at)),
                       ("Decided", iso(inquiry.decisioned_at)), ("Tags", ", ".join(inquiry.tags or [])), ("Printed", iso(now()))):
        doc.pair(key, value)
    if case.redacted:
        doc.line_of(f"Redacted at {iso(inquiry.redacted_at)}: its photos, fields, extracted data and matches are gone.", bold=True)
    doc.heading("Fields")
    for key, value in case.fields.items():
        doc.pair(key, value)
    if not case.fields:
        doc.line_of("No fields.")
    doc.heading("Verifications")
    for v in case.verifications:
        _verification(doc, v, case)
    if not case.verifications:
        doc.line_of("No verifications.")
    if case.documents:
        doc.heading("Documents")
        for d in case.documents:
            doc.line_of(f"{d.row.kind} {d.row.id}: {d.row.status}", bold=True)
            doc.pictures([f for f in d.files if f.is_image])
            for f in d.files:
                doc.line_of(f"File {f.filename} ({f.mime})")
            for key, value in d.fields.items():
                doc.pair(key, value)
    if case.reports:
        doc.heading("Reports")
        for r in case.reports:
            doc.line_of(f"{r.row.kind} report {r.row.id}: {r.row.status}{', has matches' if r.row.has_match else ''}", bold=True)
            for h in r.hits:
                why = "; ".join(f"{q['qualifier']}: {q['effect']} ({q['delta']:+})" for q in h.get("qualifiers", []))
                doc.line_of(f"{h['matched-name']} ({h['alias-kind']}, {h['entity-id']}) on {h['list']}: score {h['score']}, "
                            f"name {h['name-score']} by {h['scorer']} ({h['preset']}){'; ' + why if why else ''}")
            for i in r.dismissed:
                doc.line_of(f"Dismissed: {i['hit']['matched-name']} ({i['hit']['entity-id']}) by {i['user']}: {i['reason'] or '—'}")
    doc.heading("Consents")
    for c in case.consents:
        doc.line_of(f"{c.kind} consent, text {c.text_version} ({c.language}), given {iso(c.accepted_at)}")
    if not case.consents:
        doc.line_of("No consent recorded.")
    doc.heading("Events")
    for e in case.timeline:
        client = f" from {e.ip_address}" if e.ip_address else ""
        agent = f" ({e.user_agent})" if e.user_agent else ""
        doc.line_of(f"{iso(e.at)}  {e.name}  by {e.actor_label or '—'}{client}{agent}")
    return bytes(doc.output())
