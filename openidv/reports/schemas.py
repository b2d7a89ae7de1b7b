"""JSON:API rendering of reports and report templates (spec schemas `report-watchlist`,
`report-politically-exposed-person`); the watchlist result in Persona's `matched-lists` shape."""

from typing import Any

from sqlalchemy.orm import Session

from openidv.kit.clock import iso
from openidv.kit.jsonapi import ref, resource
from openidv.models import Report, ReportTemplate

_NAME_KEYS = ("name-first", "name-middle", "name-last", "term")


def _birthdates(record: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for bd in record.get("birth_dates", []):
        bits = bd["value"].split("-")
        item = {"year": bits[0], "granularity": bd["precision"]}
        if len(bits) > 1:
            item["month"] = bits[1]
        if len(bits) > 2:
            item["day"] = bits[2]
        out.append(item)
    return out


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


def matched_lists(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    grouped: dict[str, dict[str, Any]] = {}
    for hit in hits:
        group = grouped.setdefault(hit["list"], {
            "name": hit["list"], "url": hit.get("list-url") or "", "list-type": "sanction", "list-types": ["sanction"],
            "slug": _slug(hit["list"]), "flag-code": "", "entities": [],
        })
        group["entities"].append({
            "name": hit["matched-name"], "alias-type": "primary_name" if hit["alias-kind"] == "primary" else hit["alias-kind"],
            "birthdates": _birthdates(hit["record"]),
        })
    return list(grouped.values())


def _watchlist_ignored(ignored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{
        "ignored-at": i["ignored-at"], "user": i["user"], "ignore-reason": i["reason"],
        "match": {**{k: v for k, v in matched_lists([i["hit"]])[0].items() if k != "entities"},
                  "entities": [{"name": i["hit"]["matched-name"], "alias-type": i["hit"]["alias-kind"],
                                "birthdates": _birthdates(i["hit"]["record"]), "group-id": i["hit"]["entity-id"]}]},
    } for i in ignored]


def _pep_result(hit: dict[str, Any]) -> dict[str, Any]:
    record = hit["record"]
    return {
        "entity-id": hit["entity-id"], "name": (record.get("names") or [{"full": hit["matched-name"]}])[0]["full"],
        "birthdates": [bd["value"] for bd in record.get("birth_dates", [])], "death-dates": [], "locations": [],
        "country": ",".join(record.get("countries") or record.get("nationalities") or []), "sex": record.get("gender"), "topics": ["PEP"],
        "positions": [{"name": p, "source-key": _slug(p), "pep-class": "", "topics": [], "start-date": "", "end-date": None}
                      for p in record.get("positions", [])],
        "associates": [], "affiliations": [], "related-urls": [], "images": [],
        "sources": {hit["list"]: {"name": hit["list"], **({"url": record["source_url"]} if record.get("source_url") else {})}},
        "match-types": [f"{'name' if hit['alias-kind'] == 'primary' else 'aka'}-{'exact' if hit['name-score'] >= 1.0 else 'fuzzy'}"], "pep-type": None,
    }


def render_report(report: Report, template_version_name: str = "v1") -> dict[str, Any]:
    query = {} if report.redacted_at else report.query
    result = {} if report.redacted_at else (report.result or {})
    attributes: dict[str, Any] = {
        "status": report.status, "created-at": iso(report.created_at), "completed-at": iso(report.completed_at), "redacted-at": iso(report.redacted_at),
        "report-template-version-name": template_version_name, "has-match": report.has_match, "is-continuous": report.run_count > 1,
        "is-recurring": report.continuous and not report.paused, "tags": list(report.tags or []),
    }
    if report.kind == "watchlist":
        attributes.update({k: query.get(k) for k in _NAME_KEYS})
        attributes.update({
            "birthdate": query.get("birthdate"), "country-code": query.get("country-code"),
            "matched-lists": matched_lists(result.get("hits", [])), "ignore-list": _watchlist_ignored(result.get("ignored", [])),
        })
    else:
        attributes["query"] = {k: query[k] for k in ("name-first", "name-middle", "name-last", "term", "birthdate", "country-code") if query.get(k)}
        attributes["result"] = [_pep_result(h) for h in result.get("hits", [])]
        attributes["ignore-list"] = [{"ignored-at": i["ignored-at"], "match": {"entity-id": i["hit"]["entity-id"], "name": i["hit"]["matched-name"]}}
                                     for i in result.get("ignored", [])]
    return resource(f"report/{report.kind}", report.id, attributes, {
        "inquiry": ref("inquiry", report.inquiry_id), "account": ref("account", report.account_id), "transaction": ref("transaction", None),
        "report-template": {"data": {"type": f"report-template/{report.kind}", "id": report.template_id}},
    })


def render_template(template: ReportTemplate) -> dict[str, Any]:
    return resource(f"report-template/{template.kind}", template.id, {
        "name": template.name, "lists": list(template.lists), "match-preset": template.match_preset,
        "rerun-interval-days": template.rerun_interval_days, "version-name": template.version_name, "created-at": iso(template.created_at),
    })


def render_history(report: Report) -> list[dict[str, Any]]:
    return list(reversed(report.history or []))


def render_snapshot(session: Session, report: Report) -> dict[str, Any]:  # noqa: ARG001 - the renderer signature
    return render_report(report)
