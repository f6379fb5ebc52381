"""A download honours the Accept its schema documents (logitrack.http.downloads): one check for every file view."""

from __future__ import annotations

import json
from typing import Any


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_honours_accept(client: Any, url: str, *, documented: tuple[str, ...]) -> str:
    """GETs the file at `url` with each Accept a client may send for it (the schema's `documented` media types);
    returns its media type. Its own type, its family, `*/*` or none: served. Anything else: 406 problem+json."""
    plain = client.get(url)
    assert plain.status_code == 200, (plain.status_code, _body(plain)[:300])
    content_type, content = plain["Content-Type"], _body(plain)
    assert content_type in documented, f"{url} served {content_type}, documented {documented}"
    family = content_type.split("/")[0] + "/*"
    for accept in (content_type, family, "*/*", f"application/json;q=0.5, {content_type}", ", ".join(documented)):
        response = client.get(url, HTTP_ACCEPT=accept)
        assert response.status_code == 200, (accept, response.status_code, _body(response)[:300])
        assert (response["Content-Type"], _body(response)) == (content_type, content), accept
    others = [t for t in documented if t != content_type] + ["text/html", "application/json", f"{content_type};q=0"]
    for accept in others:
        response = client.get(url, HTTP_ACCEPT=accept)
        assert response.status_code == 406, (accept, response.status_code)
        assert response["Content-Type"] == "application/problem+json", (accept, response["Content-Type"])
        assert json.loads(_body(response))["code"] == "not_acceptable"
    return str(content_type)
