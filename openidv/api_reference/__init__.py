"""The API reference: openidv's OpenAPI document (`document.py`: Persona's own operation objects for the
operations openidv serves, FastAPI's schema for openidv's extensions) and the Swagger UI page that shows it
at /api/v1/docs (`endpoints.py`), whose assets are shipped in `static/`, so it works with no network."""
