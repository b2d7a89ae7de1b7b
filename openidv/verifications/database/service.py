"""Database verifications (`verification/database`): the claimed identity is compared with the best
matching record of a record source (`openidv.providers`, built in: records imported with
`openidv records import`), attribute by attribute (`openidv.checks.database_match`).

Claims come from `data.attributes` on create and submit, falling back to the inquiry's fields. Step
settings: `source` (record source name, default `default`) or `sources` (several), `provider` (default
`imported`), `two_plus_two` (true: two sources must each confirm the name plus one more attribute).
"""

from typing import Any

from sqlalchemy.orm import Session

from openidv import lifecycle
from openidv.checks import database_match as match
from openidv.checks.result import CheckResult
from openidv.kit.errors import bad_request, conflict
from openidv.kit.fields import value_of
from openidv.models import Inquiry, Verification
from openidv.providers import record_source
from openidv.verifications import service as verifications

KIND = "database"
CLAIMS = (
    "name-first", "name-middle", "name-last", "birthdate", "address-street-1", "address-street-2", "address-city",
    "address-subdivision", "address-postal-code", "address-country-code", "phone-number", "email-address", "identification-number",
)
REQUIRED = frozenset({"database_identity_comparison", "database_deceased_detection"})
ACCEPTED = {  # attribute -> match results that pass its comparison check
    "name": (match.FULL, match.PARTIAL), "birthdate": (match.FULL,), "address": (match.FULL, match.PARTIAL),
    "phone_number": (match.FULL,), "email_address": (match.FULL,), "identification_number": (match.FULL,),
}


def claims_from(attrs: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """Claimed attributes (strings; birthdate YYYY-MM-DD), over `base`; 400 on a wrong type."""
    claims = dict(base or {})
    for key in CLAIMS + ("country-code",):
        if key not in attrs or attrs[key] is None:
            continue
        value = attrs[key]
        if not isinstance(value, str) or len(value) > 500:
            raise bad_request(f"{verifications.ATTR}.{key} must be a string of at most 500 characters")
        claims[key] = value.strip()
    if claims.get("birthdate") and match.parse_date(claims["birthdate"]) is None:
        raise bad_request(f"{verifications.ATTR}.birthdate must be a valid date (YYYY-MM-DD)")
    if claims.get("country-code") and not claims.get("address-country-code"):
        claims["address-country-code"] = claims["country-code"]
    claims.pop("country-code", None)
    if claims.get("address-country-code"):
        code = claims["address-country-code"].upper()
        if len(code) != 2 or not code.isalpha():
            raise bad_request(f"{verifications.ATTR}.country-code must be an ISO 3166-1 alpha-2 code")
        claims["address-country-code"] = code
    return claims


def _inquiry_claims(inquiry: Inquiry | None) -> dict[str, Any]:
    if inquiry is None:
        return {}
    fields = inquiry.fields
    return {k: v for k in CLAIMS if isinstance(v := value_of(fields, k), str) and v.strip()}


def create(db: Session, environment_id: str, attrs: dict[str, Any], actor: str) -> Verification:
    target = verifications.resolve(db, environment_id, attrs, KIND)
    claims = claims_from(attrs, _inquiry_claims(target.inquiry))
    return verifications.start(db, environment_id, target, KIND, {"claims": claims}, claims.get("address-country-code"), actor)


def submit(db: Session, verification: Verification, attrs: dict[str, Any], actor: str) -> None:
    if not lifecycle.transition_allowed(verification, "submit"):
        raise conflict(f"Cannot submit a verification that is {verification.status}")
    data = verification.data
    claims = claims_from(attrs, data.get("claims"))
    if not (claims.get("name-first") or claims.get("name-last")):
        raise bad_request(f"{verifications.ATTR}.name-first or name-last is needed for a database verification")
    verification.data = {**data, "claims": claims}
    verification.country_code = claims.get("address-country-code") or verification.country_code
    _, step = verifications.config_for(db, verification)
    options = verifications.settings(step)
    provider = str(options.get("provider") or "imported")
    names = [str(n) for n in options.get("sources") or [options.get("source") or "default"]]
    found = [match.best(claims, record_source(name, provider).candidates(db, claims)) for name in names]
    record, comparison = max(found, key=lambda pair: pair[1].score if pair[1] else -1)
    required = verifications.requirement(step, REQUIRED | ({"database_two_plus_two_detection"} if options.get("two_plus_two") else set()))
    checks = build_checks(claims, record, comparison, required)
    if options.get("two_plus_two"):
        checks.append(two_plus_two([c for _, c in found], required))
    verifications.finish(db, verification, checks, actor)


def two_plus_two(comparisons: list[match.Comparison | None], required: frozenset[str]) -> CheckResult:
    """The "2+2" rule: two sources each confirm the name and one more of birthdate, address or number."""
    agreeing = sum(
        1 for c in comparisons
        if c and c.results["name"] in (match.FULL, match.PARTIAL) and any(c.results[a] == match.FULL for a in ("birthdate", "address", "identification_number"))
    )
    return verifications.check("database_two_plus_two_detection", agreeing >= 2, required, [] if agreeing >= 2 else ["not_enough_sources"],
                               {"agreeing_sources": agreeing})


def build_checks(claims: dict[str, Any], record: dict[str, Any] | None, comparison: match.Comparison | None,
                 required: frozenset[str]) -> list[CheckResult]:
    results = comparison.results if comparison else {a: match.NONE for a in match.ATTRIBUTES}
    identity_reasons = comparison.reasons if comparison and record else ["no_record_found"]
    checks = [
        verifications.check(
            "database_identity_comparison", bool(comparison and comparison.identity), required, identity_reasons,
            {"check_requirements": comparison.requirements if comparison else []},
        )
    ]
    for attribute in match.ATTRIBUTES:
        result = results[attribute]
        status: str | bool = "not_applicable" if result == match.NA else result in ACCEPTED[attribute]
        checks.append(verifications.check(f"database_{attribute}_comparison", status, required, metadata={"match_result": result}))
    number = claims.get("identification-number")
    if number and match.id_number_valid(number, claims.get("address-country-code")) is False:
        checks[-1] = verifications.check("database_identification_number_comparison", False, required, ["invalid_identification_number"],
                                         {"match_result": results["identification_number"]})
    deceased = bool(record and (record.get("deceased") in (True, "true", "1", "yes") or record.get("deceased-date")))
    checks.append(verifications.check("database_deceased_detection", not deceased, required, ["deceased"] if deceased else []))
    po_box = match.is_po_box(claims.get("address-street-1")) or match.is_po_box(claims.get("address-street-2"))
    checks.append(verifications.check("database_po_box_detection", not po_box, required, ["po_box"] if po_box else []))
    return checks


def attributes(verification: Verification) -> dict[str, Any]:
    claims = verification.data.get("claims") or {}
    out: dict[str, Any] = {k: claims.get(k) for k in CLAIMS if k != "address-country-code"}
    out.update(match.normalized_address(claims) if claims else dict.fromkeys(match.normalized_address({}), None))
    out.update({"document-number": None, "document-issuing-date": None, "document-expiry-date": None, "document-issuing-subdivision": None})
    return out
