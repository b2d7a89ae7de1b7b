"""HTTP for e-mail-address verifications (`/verification/email-addresses`)."""

from fastapi import APIRouter

from openidv.verifications import confirmation_endpoints
from openidv.verifications.email_address import service

router = APIRouter()
confirmation_endpoints.add_routes(router, "email-addresses", service)
