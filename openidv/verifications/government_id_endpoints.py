"""HTTP for government-ID verifications: create (JSON with base64 photos, or multipart), retrieve,
submit, and the photos behind expiring signed URLs (`?access_token=`, no API key)."""

from fastapi import APIRouter

from openidv.verifications import government_ids, photo_endpoints

router = APIRouter()
photo_endpoints.add_routes(router, "government-ids", government_ids, government_ids.SIDES)
