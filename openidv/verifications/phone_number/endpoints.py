"""HTTP for phone-number verifications (`/verification/phone-numbers`)."""

from fastapi import APIRouter

from openidv.verifications import confirmation_endpoints
from openidv.verifications.phone_number import service

router = APIRouter()
confirmation_endpoints.add_routes(router, "phone-numbers", service)
