"""Helpers shared by the document tests (a module with a unique name, so test files can import it
whichever other test folders run in the same session)."""

import base64

INQUIRY_FIELDS = {"name-first": "Jane", "name-last": "Doe", "address-street-1": "1234 Main St", "address-city": "Springfield",
                  "address-subdivision": "Illinois", "address-postal-code": "62704"}


def b64(data: bytes, filename: str = "file.pdf") -> dict[str, str]:
    return {"data": base64.b64encode(data).decode(), "filename": filename}
