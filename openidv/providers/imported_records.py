"""The built-in record source: people imported from CSV or JSON into openidv's own database
(`openidv records import FILE --source NAME`), a business's customer base or a registry extract.

Each record's attributes are sealed; blind indexes of the normalised birthdate, last name,
identification number, e-mail and phone find the candidates for a claim.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from openidv.checks import database_match as match
from openidv.kit import crypto
from openidv.kit.clock import now
from openidv.kit.ids import new_id
from openidv.kit.inflection import inflect_key
from openidv.models import Record
from openidv.providers import repository

ATTRIBUTES = (
    "name-first", "name-middle", "name-last", "birthdate", "address-street-1", "address-street-2", "address-city",
    "address-subdivision", "address-postal-code", "address-country-code", "phone-number", "email-address",
    "identification-number", "deceased", "deceased-date",
)
MAX_VALUE = 500


def indexes(attributes: dict[str, Any]) -> dict[str, str]:
    """Blind indexes of the normalised look-up keys (empty values are left out)."""
    ring = crypto.ring()
    birthdate = match.parse_date(attributes.get("birthdate"))
    last = match.name_tokens(attributes.get("name-last"))
    number = match.compact_id(attributes.get("identification-number"))
    email = attributes.get("email-address")
    phone = match.e164(attributes.get("phone-number"), attributes.get("address-country-code"))
    keys = {
        "birthdate": birthdate.isoformat() if birthdate else "",
        "name": " ".join(last),
        "identification_number": number,
        "email": email.strip().casefold() if isinstance(email, str) and "@" in email else "",
        "phone": phone or "",
    }
    return {k: ring.blind_index(f"record-{k}", v) for k, v in keys.items() if v}


class ImportedRecordSource:
    def __init__(self, name: str) -> None:
        self.name = name

    def candidates(self, db: Session, claims: Any) -> list[dict[str, Any]]:
        return [row.data for row in repository.candidates(db, self.name, indexes(claims))]


# ---------------------------------------------------------------- import


@dataclass
class ImportReport:
    imported: int = 0
    replaced: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)


def _row_error(row: dict[str, Any]) -> str | None:
    if not (row.get("name-first") or row.get("name-last")):
        return "name-first or name-last is missing"
    for key, value in row.items():
        if key != "deceased" and (not isinstance(value, str) or len(value) > MAX_VALUE):
            return f"{key} must be text of at most {MAX_VALUE} characters"
    if row.get("birthdate") and match.parse_date(row["birthdate"]) is None:
        return f"birthdate {row['birthdate']!r} is not a date (YYYY-MM-DD)"
    if row.get("deceased-date") and match.parse_date(row["deceased-date"]) is None:
        return "deceased-date is not a date (YYYY-MM-DD)"
    if row.get("email-address") and "@" not in row["email-address"]:
        return "email-address is not an e-mail address"
    if row.get("phone-number") and match.e164(row["phone-number"], row.get("address-country-code")) is None:
        return "phone-number is not a phone number"
    country = row.get("address-country-code")
    if country and (len(country) != 2 or not country.isalpha()):
        return "address-country-code must be an ISO 3166-1 alpha-2 code"
    return None


def clean(raw: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """Header names in any casing; empty cells dropped; `reference` (or `id`) kept apart."""
    row: dict[str, Any] = {}
    reference = None
    for key, value in raw.items():
        if key is None:
            continue
        name = inflect_key(str(key).strip(), "kebab")
        if name in ("reference", "id", "reference-id"):
            reference = str(value).strip() if value not in (None, "") else None
            continue
        if name == "country-code":
            name = "address-country-code"
        if name in ATTRIBUTES and value not in (None, ""):
            row[name] = value.strip() if isinstance(value, str) else value
    if isinstance(row.get("deceased"), str):
        row["deceased"] = row["deceased"].lower() in ("1", "true", "yes", "y")
    if row.get("address-country-code"):
        row["address-country-code"] = str(row["address-country-code"]).upper()
    return reference, row


def read_rows(path: Path) -> Iterator[dict[str, Any] | str]:
    """Rows of a CSV, JSON array or JSON-lines file; a string in place of a row is its parse error."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames:
            return
        for row in reader:
            yield "the row has more cells than the header" if None in row else row
        return
    stripped = text.lstrip()
    if stripped.startswith("["):
        items = json.loads(text)  # a broken JSON array is one error for the whole file
    else:
        items = []
        for line in text.splitlines():
            if line.strip():
                try:
                    items.append(json.loads(line))
                except ValueError as exc:  # JSONDecodeError, or a number past int's digit limit
                    items.append(f"not valid JSON: {exc.msg if isinstance(exc, json.JSONDecodeError) else exc}")
    for item in items:
        yield item if isinstance(item, (dict, str)) else "a row must be an object"


def import_rows(db: Session, source: str, rows: Iterable[dict[str, Any] | str], progress: Callable[[int], None] | None = None) -> ImportReport:
    """Insert or replace (by reference) every valid row in the caller's transaction; report the others."""
    report = ImportReport()
    valid: list[tuple[int, str, dict[str, Any]]] = []
    seen: set[str] = set()
    for number, raw in enumerate(rows, start=1):
        if progress and number % 100 == 0:
            progress(number)
        if isinstance(raw, str):
            report.rejected.append((number, raw))
            continue
        reference, row = clean(raw)
        error = _row_error(row)
        reference = reference or f"row-{number}"
        if error is None and reference in seen:
            error = f"reference {reference!r} appears twice"
        if error:
            report.rejected.append((number, error))
            continue
        seen.add(reference)
        valid.append((number, reference, row))
    existing = repository.by_references(db, source, [r for _, r, _ in valid])
    for _, reference, row in valid:
        record = existing.get(reference)
        if record is None:
            record = Record(id=new_id("rec"), source=source, reference=reference, created_at=now())
            db.add(record)
            report.imported += 1
        else:
            report.replaced += 1
        record.data = row
        keys = indexes(row)
        record.birthdate_index = keys.get("birthdate")
        record.name_index = keys.get("name")
        record.identification_number_index = keys.get("identification_number")
        record.email_index = keys.get("email")
        record.phone_index = keys.get("phone")
    db.flush()
    return report


def progress_bar(total: int, out: Any) -> Callable[[int], None]:
    """A one-line progress bar on `out` (stderr), redrawn in place."""

    def draw(done: int) -> None:
        filled = int(30 * done / total) if total else 30
        out.write(f"\r[{'#' * filled}{' ' * (30 - filled)}] {done}/{total} rows")
        out.flush()

    return draw


def summary(report: ImportReport, source: str, limit: int = 50) -> list[str]:
    lines = [f"source {source}: {report.imported} imported, {report.replaced} replaced, {len(report.rejected)} rejected"]
    for number, reason in report.rejected[:limit]:
        lines.append(f"  row {number}: {reason}")
    if len(report.rejected) > limit:
        lines.append(f"  ... and {len(report.rejected) - limit} more rejected rows")
    return lines
