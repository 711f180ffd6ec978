"""The OpenAPI document as the API really answers (issue 17 §3).

Litestar writes each operation's success response and a generic 400; the API also answers 401,
403, 404, 409, 413, 422, 429 and 503, always as RFC 9457 problem+json (api/errors.py), and some
operations answer CSV, XLSX, SVG or ABNT files besides JSON. `TruthfulJson` serves
/api/docs/openapi.json with those responses added, from the table below, in one place:
- every operation but /health: 400, 401 (no, bad, revoked or expired key), 403 (role or scope),
  422 (a parameter or field outside its bounds: the problem names it), 429 (failed-login
  lockout), 503 (database unavailable);
- with a path parameter: 404 (unknown, or outside the caller's scope);
- POST/PUT/PATCH: 409 (already exists, already acknowledged or closed);
- POST /api/v1/imports: 413 (larger than SMF_API_MAX_UPLOAD_MB), 415;
- /health: public (no security requirement), 200 or 503.
"""

from __future__ import annotations

import copy
from typing import Any

from litestar import Request
from litestar.openapi.plugins import JsonRenderPlugin

PROBLEM_MEDIA = "application/problem+json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details with our error code; 422 names the field",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
        "field": {"type": ["string", "null"]},
        "errors": {"type": "array", "items": {"type": "object"}},
        "line": {"type": ["integer", "null"]},
    },
    "additionalProperties": True,
}
WHY = {
    "400": "malformed request (e.g. a body that is not JSON)",
    "401": "no API key, or an unknown, malformed, revoked or expired one",
    "403": "the account's role or scope does not allow this",
    "404": "not found, or outside the account's scope",
    "409": "conflict: it exists already, or was already acknowledged or closed",
    "413": "upload larger than SMF_API_MAX_UPLOAD_MB",
    "415": "unsupported media type",
    "422": "a parameter or field outside its declared bounds (the problem names it)",
    "429": "too many failed logins from this address; retry after Retry-After s",
    "503": "database unavailable; retry after Retry-After s",
}
# Success bodies other than JSON: (method, path) -> media types added to the 200 response
FILES: dict[tuple[str, str], dict[str, str]] = {
    ("get", "/api/v1/meters/{serial}/intervals"): {
        "text/csv": "format=csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "format=xlsx",
        "application/octet-stream": "format=abnt (the ABNT public-format file of month)",
    },
    ("get", "/api/v1/units/{uc_code}/intervals"): {
        "text/csv": "format=csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "format=xlsx",
        "application/octet-stream": "format=abnt (the ABNT public-format file of month)",
    },
    ("get", "/api/v1/units/{uc_code}/reports/{report}"): {
        "text/csv": "format=csv",
        "image/svg+xml": "format=svg (phasors)",
    },
}


def statuses(method: str, path: str) -> list[str]:
    """The error statuses operation (method, path) may answer."""
    if path == "/health":
        return ["503"]
    out = ["400", "401", "403", "422", "429", "503"]
    if "{" in path:
        out.append("404")
    if method in ("post", "put", "patch"):
        out += ["404", "409"]
    if (method, path) == ("post", "/api/v1/imports"):
        out += ["413", "415"]
    return sorted(set(out))


def truthful(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (Litestar's document) with every operation's real responses."""
    doc = copy.deepcopy(schema)
    comps = doc.setdefault("components", {}).setdefault("schemas", {})
    comps["Problem"] = PROBLEM_SCHEMA
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, ops in doc.get("paths", {}).items():
        for method, op in ops.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = op.setdefault("responses", {})
            for code in statuses(method, path):
                if path == "/health":
                    continue
                responses[code] = {
                    "description": WHY[code],
                    "content": {PROBLEM_MEDIA: {"schema": ref}},
                }
            if path == "/health":
                op["security"] = []
            for media, what in FILES.get((method, path), {}).items():
                ok = responses.get("200")
                if ok is not None:
                    ok.setdefault("content", {})[media] = {
                        "schema": {"type": "string", "format": "binary", "description": what}
                    }
    return doc


class TruthfulJson(JsonRenderPlugin):
    """/api/docs/openapi.json: Litestar's document completed by `truthful`."""

    def __init__(self) -> None:
        super().__init__(path="/openapi.json")
        self._cache: bytes | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._cache is None:
            self._cache = super().render(request, truthful(openapi_schema))
        return self._cache
