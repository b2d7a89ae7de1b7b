"""JSON:API rendering of inquiry sessions."""

from typing import Any

from sqlalchemy.orm import Session

from openidv.kit.clock import iso
from openidv.kit.jsonapi import resource
from openidv.models import InquirySession

_SIGNALS = (
    "os-name", "os-full-version", "device-type", "device-name", "browser-name", "browser-full-version", "mobile-sdk-name",
    "mobile-sdk-full-version", "is-proxy", "is-tor", "is-datacenter", "is-vpn", "threat-level", "country-code",
    "country-name", "region-code", "region-name", "latitude", "longitude", "gps-latitude", "gps-longitude",
    "gps-precision", "ip-connection-type", "ip-isp", "network-organization",
)


def render_session(row: InquirySession) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "status": row.status,
        "created-at": iso(row.created_at),
        "started-at": iso(row.started_at),
        "expired-at": iso(row.expired_at),
        "ip-address": row.ip_address,
        "user-agent": row.user_agent,
        "device-handoff-method": row.device_handoff_method,
    }
    attributes.update({key: None for key in _SIGNALS})
    return resource(
        "inquiry-session",
        row.id,
        attributes,
        {"inquiry": {"data": {"type": "inquiry", "id": row.inquiry_id}}, "device": {"data": None}, "network": {"data": None}},
    )


def render_snapshot(session: Session, row: InquirySession) -> dict[str, Any]:  # noqa: ARG001
    return render_session(row)

