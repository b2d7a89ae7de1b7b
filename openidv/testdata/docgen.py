"""Synthetic proof-of-address papers the project makes itself: utility bills, bank statements, leases,
tax forms and pay stubs as PDF with a text layer (written here by hand: standard Type 1 fonts, an
uncompressed logo image), or image-only (drawn with Pillow, saved as a PDF or PNG), and defective
variants: JavaScript, edited after creation by an editor, an incremental update, one field set in two
fonts, encrypted, malformed.

`make(kind, *, issued, name, address, variant=None, seed=0)` returns a `Paper` (bytes, mime, truth).
Nothing here is committed as files.
"""

from __future__ import annotations

import io
import random
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from openidv.testdata.font_files import SANS, SANS_BOLD

KINDS = ("utility_bill", "bank_statement", "lease", "tax_form", "pay_stub")
VARIANTS = ("javascript", "launch", "edited", "incremental", "mixed_fonts", "image_pdf", "png", "encrypted", "malformed")


@dataclass
class Address:
    street: str = "1234 Main Street"
    city: str = "Springfield"
    state: str = "IL"
    postal_code: str = "62704"

    @property
    def city_line(self) -> str:
        return f"{self.city}, {self.state} {self.postal_code}"


@dataclass
class Paper:
    data: bytes
    mime: str
    truth: dict = field(default_factory=dict)


def _long(d: date) -> str:
    return d.strftime("%B %-d, %Y")


def _short(d: date) -> str:
    return d.strftime("%b %-d, %Y")


def _us(d: date) -> str:
    return d.strftime("%m/%d/%Y")


def _lines(kind: str, issued: date, name: str, address: Address, rng: random.Random) -> list[tuple[str, str, str]]:
    """(font, label, value) rows from the top; font `B` bold heading, `R` regular. Label and value are
    written as separate runs, as real generators do."""
    account = f"{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}-{rng.randint(10, 99)}"
    recipient = [("R", "", name.upper()), ("R", "", address.street), ("R", "", address.city_line), ("R", "", "")]
    if kind == "utility_bill":
        start = issued - timedelta(days=36)
        return [
            ("B", "", "NORTHWIND ENERGY CO."), ("R", "", "PO Box 4410, Riverside, CA 92501"),
            ("B", "", "Electricity and Gas Bill"), ("R", "", ""),
            ("R", "Bill date: ", _long(issued)), ("R", "Account number: ", account),
            ("R", "Billing period: ", f"{_short(start)} - {_short(issued - timedelta(days=6))}"), ("R", "", ""),
            ("R", "", "Service address:"), *recipient,
            ("R", "Meter number: ", f"M{rng.randint(100000, 999999)}"), ("R", "Electricity used: ", f"{rng.randint(200, 900)} kWh"),
            ("R", "Electricity charges: ", f"${rng.randint(40, 120)}.{rng.randint(10, 99)}"),
            ("R", "Gas charges: ", f"${rng.randint(20, 60)}.{rng.randint(10, 99)}"),
            ("R", "Amount due: ", f"${rng.randint(70, 180)}.{rng.randint(10, 99)}"), ("R", "Due date: ", _long(issued + timedelta(days=21))),
        ]
    if kind == "bank_statement":
        start = issued - timedelta(days=30)
        rows = [("R", "", f"{_us(start + timedelta(days=3 * i + 2))}  {desc}  {amt}") for i, (desc, amt) in
                enumerate([("Card purchase GROCER", "-54.20"), ("Salary deposit", "2,310.00"), ("ATM withdrawal", "-100.00"),
                           ("Transfer to savings", "-400.00"), ("Utility payment", "-89.50")])]
        return [
            ("B", "", "FIRST HARBOR BANK"), ("R", "", "Member FDIC - Routing number 021000021"), ("B", "", "Checking Account Statement"),
            ("R", "", ""), *recipient,
            ("R", "Statement date: ", _us(issued)), ("R", "Statement period: ", f"{_us(start)} to {_us(issued)}"),
            ("R", "Account number: ", account), ("R", "Opening balance: ", "$3,204.11"), ("R", "Deposits: ", "$2,310.00"),
            ("R", "Withdrawals: ", "$643.70"), ("R", "Closing balance: ", "$4,870.41"), ("R", "", ""),
            ("B", "", "Transactions"), *rows,
        ]
    if kind == "lease":
        end = issued + timedelta(days=365)
        return [
            ("B", "", "RESIDENTIAL LEASE AGREEMENT"), ("R", "", ""),
            ("R", "Date: ", _long(issued)), ("R", "Landlord: ", "Oakridge Property Management LLC"),
            ("R", "Tenant: ", name), ("R", "Premises: ", f"{address.street}, {address.city_line}"),
            ("R", "Lease start: ", _long(issued)), ("R", "Lease end: ", _long(end)),
            ("R", "Monthly rent: ", f"${rng.randint(9, 25)}00.00"), ("R", "Security deposit: ", "$1,500.00"),
            ("R", "", "The Tenant agrees to pay rent on the first day of each month for the term of this lease."),
            ("R", "", "Signed by the Landlord and the Tenant on the date above."),
        ]
    if kind == "tax_form":
        return [
            ("B", "", "PROPERTY TAX ASSESSMENT NOTICE"), ("R", "", "County Treasurer - Tax Year " + str(issued.year)),
            ("R", "", ""), *recipient,
            ("R", "Notice date: ", _long(issued)), ("R", "Parcel number: ", account),
            ("R", "Assessed value: ", "$184,000.00"), ("R", "Taxable value: ", "$61,300.00"),
            ("R", "Tax due: ", "$2,412.77"), ("R", "", "Property taxes are payable to the county tax collector."),
        ]
    if kind == "pay_stub":
        return [
            ("B", "", "ACME WIDGETS INC. - EARNINGS STATEMENT"), ("R", "", ""),
            ("R", "Employee: ", name), ("R", "", address.street), ("R", "", address.city_line),
            ("R", "Pay date: ", _us(issued)), ("R", "Pay period: ", f"{_us(issued - timedelta(days=14))} - {_us(issued - timedelta(days=1))}"),
            ("R", "Gross pay: ", "$3,100.00"), ("R", "Federal withholding: ", "$412.00"), ("R", "Deductions: ", "$188.00"),
            ("R", "Net pay: ", "$2,500.00"), ("R", "YTD gross: ", "$62,000.00"),
        ]
    raise ValueError(f"unknown kind {kind!r}")


# ---------------------------------------------------------------- a small PDF writer


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _pdf_date(d: date, hour: int = 9) -> str:
    return f"D:{d.strftime('%Y%m%d')}{hour:02d}0000Z"


def _content(rows: list[tuple[str, str, str]], mixed_fonts: str | None) -> bytes:
    out, y = ["q 60 0 0 50 50 715 cm /Logo Do Q"], 690
    for font, label, value in rows:
        x = 50
        if label:
            out.append(f"BT /F2 10 Tf {x} {y} Td ({_escape(label)}) Tj ET")
            x += int(len(label) * 5.6) + 4
        if value:
            face, size = ("F3", 13) if font == "B" else ("F1", 10)
            if mixed_fonts and label.startswith(mixed_fonts) and len(value) > 4:
                # An edit: one character of the value replaced in another font, no gap between the runs.
                head, mid, tail = value[:-4], value[-4], value[-3:]
                width = len(head) * size * 0.5
                out.append(f"BT /{face} {size} Tf {x} {y} Td ({_escape(head)}) Tj ET")
                out.append(f"BT /F4 {size} Tf {x + width:.1f} {y} Td ({_escape(mid)}) Tj ET")
                out.append(f"BT /{face} {size} Tf {x + width + size * 0.6:.1f} {y} Td ({_escape(tail)}) Tj ET")
            else:
                out.append(f"BT /{face} {size} Tf {x} {y} Td ({_escape(value)}) Tj ET")
        y -= 18 if font == "B" else 14
    return "\n".join(out).encode("latin-1")


def _logo(rng: random.Random) -> bytes:
    """A 72x60 RGB mark with a little noise, stored uncompressed (it also takes the file past 10 KB)."""
    pixels = bytearray()
    for row in range(60):
        for col in range(72):
            base = (30, 90, 160) if (row // 12 + col // 12) % 2 else (240, 200, 40)
            pixels += bytes(max(0, min(255, c + rng.randint(-12, 12))) for c in base)
    return bytes(pixels)


def write_pdf(content: bytes, *, info: dict[str, str], logo: bytes, catalog_extra: str = "", compress: bool = True) -> bytes:
    """One page, fonts Helvetica (F1), Helvetica-Bold (F2/F3), Courier (F4), the logo as an XObject."""
    stream = zlib.compress(content) if compress else content
    filt = "/Filter /FlateDecode " if compress else ""
    info_entries = " ".join(f"/{k} ({_escape(v)})" for k, v in info.items())
    objects = [
        f"<< /Type /Catalog /Pages 2 0 R {catalog_extra}>>".encode(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R /F2 6 0 R "
        b"/F3 6 0 R /F4 7 0 R >> /XObject << /Logo 8 0 R >> >> >>",
        f"<< /Length {len(stream)} {filt}>>\nstream\n".encode() + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
        f"<< /Type /XObject /Subtype /Image /Width 72 /Height 60 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length {len(logo)} >>\nstream\n".encode()
        + logo + b"\nendstream",
        f"<< {info_entries} >>".encode(),
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _append_update(pdf: bytes, info: dict[str, str]) -> bytes:
    """An incremental update: a new Info object appended after the first %%EOF (how editors save)."""
    prev = int(pdf.rsplit(b"startxref", 1)[1].split()[0])
    size = int(pdf.split(b"/Size ", 1)[1].split()[0])
    out = bytearray(pdf)
    offset = len(out)
    entries = " ".join(f"/{k} ({_escape(v)})" for k, v in info.items())
    out += f"{size} 0 obj\n<< {entries} >>\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n{size} 1\n{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {size + 1} /Root 1 0 R /Info {size} 0 R /Prev {prev} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Debian's DejaVu when installed (fonts-dejavu-core), else Pillow's own scalable font."""
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:
        return ImageFont.load_default(size)


def _render_image(rows: list[tuple[str, str, str]], rng: random.Random) -> Image.Image:
    """The page drawn as pixels at 150 dpi (a scan or a phone photo of the paper)."""
    page = Image.new("RGB", (1275, 1650), (250, 250, 247))
    draw = ImageDraw.Draw(page)
    regular, bold = _font(SANS, 24), _font(SANS_BOLD, 30)
    draw.rectangle((104, 70, 254, 170), fill=(30, 90, 160))
    y = 210
    for font, label, value in rows:
        draw.text((104, y), label + value, fill=(20, 20, 20), font=bold if font == "B" else regular)
        y += 40 if font == "B" else 32
    for _ in range(4000):  # paper grain
        page.putpixel((rng.randrange(page.width), rng.randrange(page.height)), (225, 225, 220))
    return page


def make(kind: str, *, issued: date, name: str = "Jane Doe", address: Address | None = None, variant: str | None = None,
         seed: int = 0, created_with: str = "openidv docgen") -> Paper:
    """A proof-of-address paper; `variant` adds one defect or another file form (see VARIANTS)."""
    if kind not in KINDS or (variant is not None and variant not in VARIANTS):
        raise ValueError(f"unknown kind or variant: {kind!r} {variant!r}")
    address = address or Address()
    rng = random.Random(f"{kind}:{seed}")
    rows = _lines(kind, issued, name, address, rng)
    truth = {"kind": kind, "issued": issued, "name": name, "address": address, "variant": variant}
    if variant in ("image_pdf", "png"):
        image = _render_image(rows, rng)
        buf = io.BytesIO()
        if variant == "png":
            image.save(buf, "PNG")
            return Paper(buf.getvalue(), "image/png", truth)
        image.save(buf, "PDF", resolution=150.0)
        return Paper(buf.getvalue(), "application/pdf", truth)
    created = _pdf_date(issued)
    info = {"Producer": created_with, "Creator": created_with, "CreationDate": created, "ModDate": created}
    extra = ""
    if variant == "javascript":
        extra = "/OpenAction << /S /JavaScript /JS (app.alert\\('hello'\\);) >> "
    elif variant == "launch":
        extra = "/OpenAction << /S /Launch /F (cmd.exe) >> "
    if variant == "edited":
        info.update(Producer="PDF-XChange Editor 9.5", ModDate=_pdf_date(issued + timedelta(days=40), 15))
    mixed = {"utility_bill": "Amount due", "bank_statement": "Closing balance", "lease": "Monthly rent", "tax_form": "Tax due",
             "pay_stub": "Net pay"}[kind] if variant == "mixed_fonts" else None
    pdf = write_pdf(_content(rows, mixed), info=info, logo=_logo(rng), catalog_extra=extra)
    if variant == "incremental":
        pdf = _append_update(pdf, {**info, "Producer": "Sejda PDF Editor", "ModDate": _pdf_date(issued + timedelta(days=3), 11)})
    if variant == "encrypted":
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
        writer.encrypt(user_password="secret", algorithm="AES-128")
        buf = io.BytesIO()
        writer.write(buf)
        pdf = buf.getvalue()
    if variant == "malformed":
        pdf = pdf[: len(pdf) // 3] + b"\x00garbage" * 2000
    return Paper(pdf, "application/pdf", truth)
