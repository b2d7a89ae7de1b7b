"""JSON:API rendering of templates and versions (canonical 2025-12-08 kebab form)."""

from typing import Any

from openidv.inquiry_templates.service import config_of
from openidv.kit.clock import iso
from openidv.kit.jsonapi import ref, resource
from openidv.models import InquiryTemplate, InquiryTemplateVersion


def render_template(template: InquiryTemplate, field_schemas: list[dict[str, Any]]) -> dict[str, Any]:
    """Persona's attributes only (its schema allows no others): openidv's `redirect-uri-domain-allowlist` is
    an extension written through the API (README, openidv extensions) and never rendered here."""
    return resource(
        "inquiry-template",
        template.id,
        {
            "name": template.name,
            "status": template.status,
            "embedded-flow-domain-allowlist": list(template.embedded_flow_domain_allowlist or []),
            "hosted-flow-subdomains": [],
            "hosted-flow-redirect-uri-schemes": list(template.hosted_flow_redirect_uri_schemes or []),
            "field-schemas": field_schemas,
        },
        {"latest-published-version": ref("inquiry-template-version", template.latest_published_version_id)},
    )


def field_schemas(version: InquiryTemplateVersion | None) -> list[dict[str, Any]]:
    if version is None:
        return []
    return [
        {"type": spec.type, "key": spec.key, "label": spec.label, "default-value": None}
        for spec in config_of(version).field_schema
    ]


def render_version(version: InquiryTemplateVersion, latest_published_id: str | None) -> dict[str, Any]:
    return resource(
        "inquiry-template-version",
        version.id,
        {
            "name-display": version.name_display,
            "description": version.description,
            "status": version.status,
            "live": version.id == latest_published_id,
            "last-updater": None,
            "enabled-locales": ["en", "es"],
            "created-at": iso(version.created_at),
            "updated-at": iso(version.updated_at),
            "published-at": iso(version.published_at),
            "theme": {},
        },
        {"inquiry-template": ref("inquiry-template", version.template_id)},
    )


def version_meta(version: InquiryTemplateVersion) -> dict[str, Any]:
    """openidv extension: the full configuration, returned only by openidv's own endpoints."""
    return {"configuration": config_of(version).model_dump(mode="json")}
