"""HTTP for government-ID verifications: create (JSON with base64 photos, or multipart), retrieve,
submit, and the photos behind expiring signed URLs (`?access_token=`, no API key)."""

from fastapi import APIRouter

from openidv.verifications import photo_endpoints
from openidv.verifications.government_id import service

router = APIRouter()
photo_endpoints.add_routes(router, "government-ids", service, service.SIDES)
