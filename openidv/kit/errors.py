"""Persona's error shape: `{"errors": [{"title", "details", ...}]}` (member `details`, not `detail`)."""

from typing import Any

TITLES = {
    400: "Bad Request",
    401: "Must be authenticated to access this endpoint",
    403: "Forbidden",
    404: "Record not found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable entity",
    429: "Rate limit exceeded",
    503: "Service unavailable",
}


class ApiError(Exception):
    """Raised anywhere below the endpoints; rendered once by the app's exception handler."""

    def __init__(
        self,
        status: int,
        details: str | None = None,
        *,
        title: str | None = None,
        pointer: str | None = None,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(details or title or TITLES.get(status, "Error"))
        self.status = status
        self.title = title or TITLES.get(status, "Error")
        self.details = details
        self.pointer = pointer
        self.meta = meta
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"title": self.title}
        if self.status != 401 and self.details is not None:
            error["details"] = self.details
        if self.pointer and self.status == 422:
            error["source"] = {"pointer": self.pointer}
        if self.meta and self.status in (400, 403, 404, 409):
            error["meta"] = self.meta
        return {"errors": [error]}


def bad_request(details: str) -> ApiError:
    return ApiError(400, details)


def not_found(kind: str, object_id: str | None = None) -> ApiError:
    return ApiError(404, f"Could not find {kind}" + (f" with id {object_id}" if object_id else ""))


def conflict(details: str, title: str = "Conflict") -> ApiError:
    return ApiError(409, details, title=title)


def unprocessable(details: str, pointer: str | None = None) -> ApiError:
    return ApiError(422, details, title="Record invalid", pointer=pointer)
