"""HTTP for selfie verifications: create (JSON with base64 photos, a list of them for a burst, or
multipart), retrieve, submit, and the photos behind expiring signed URLs. Embeddings never leave."""

from fastapi import APIRouter

from openidv.verifications import photo_endpoints
from openidv.verifications.selfie import service

router = APIRouter()
photo_endpoints.add_routes(router, "selfies", service, service.POSES)
