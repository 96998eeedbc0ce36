"""Misbehaving answers for the fault switches: drip-fed, oversized, not JSON, odd ids and tokens."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response

MEGABYTE = 1024 * 1024
CHUNK = 64 * 1024  # oversized bodies are made and sent a chunk at a time, never whole
ID_FIELDS = ("CWGuid", "OwnerCWGuid")
# Endpoints whose real answer is a JSON array: wrong_shape gives them an object instead.
LIST_ENDPOINTS = (
    "list_entities",
    "list_users",
    "list_roles",
    "list_addresses",
    "list_role_assignments",
)

# What an IIS or Azure gateway in front of an ASP.NET service shows when it cannot pass a
# call on. Written for this simulator, after the look of such pages.
GATEWAY_PAGE = """<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>
<title>502 - Web server received an invalid response while acting as a gateway or proxy
server.</title>
</head>
<body>
<div id="header"><h1>Server Error</h1></div>
<div id="content">
 <fieldset><h2>502 - Web server received an invalid response while acting as a gateway or
 proxy server.</h2>
 <h3>There is a problem with the page you are looking for, and it cannot be displayed.</h3>
 </fieldset>
</div>
</body>
</html>
"""


def odd_token(name: str) -> Any:
    """The Token an odd_token switch answers: a named oddity, or the literal string given."""
    return {
        "non_ascii": "tök€n-ünïcode",
        "crlf": "abc\r\nX-Evil: 1",
        "empty": "",
        "long": "t" * 10_000,
        "not_string": 12345,
    }.get(name, name)


def bad_body(kind: str, status: int, endpoint: str | None) -> Response:
    """An HTML gateway page, a text/plain body, or JSON of the wrong shape, with that status."""
    if kind == "html":
        return Response(GATEWAY_PAGE, status, mimetype="text/html")
    if kind == "not_json":
        text = "Service temporarily unavailable. Please try again."
        return Response(text, status, mimetype="text/plain")
    answers_list = (endpoint or "").rpartition(".")[2] in LIST_ENDPOINTS
    shape: Any = {"Items": [], "Page": 1} if answers_list else []
    return Response(json.dumps(shape), status, mimetype="application/json")


def _entity(n: int) -> bytes:
    # Fixed width, so the body's length is known before it is made.
    record = {
        "Id": 1_000_000_000 + n,
        "CWGuid": f"00000000-0000-4000-8000-{n:012d}",
        "EntityNo": f"OVR-{n:09d}",
        "Name": f"Oversized entity {n:09d}",
        "OwnerType": "Client",
        "Type": "A",
    }
    return json.dumps(record).encode()


def oversized(megabytes: float, content_length: bool) -> Response:
    """200 with a JSON array of entity-shaped objects of that size, made while it is sent."""
    size = max(2, int(megabytes * MEGABYTE))
    item = len(_entity(0))
    count = max(0, (size - 2 + 1) // (item + 1))
    padding = size - 2 - count * item - max(0, count - 1)

    def chunks() -> Iterator[bytes]:
        buffer = bytearray(b"[")
        for n in range(count):
            if n:
                buffer += b","
            buffer += _entity(n)
            if len(buffer) >= CHUNK:
                yield bytes(buffer)
                buffer.clear()
        # JSON allows white space before the closing bracket: it pads the body to its size.
        buffer += b" " * padding + b"]"
        yield bytes(buffer)

    response = Response(chunks(), 200, mimetype="application/json", direct_passthrough=True)
    if content_length:
        response.headers["Content-Length"] = str(size)
    return response


def drip(body: Iterable[bytes], bytes_per_second: float) -> Iterator[bytes]:
    """The body a few bytes at a time at that rate; the server stops it when the client goes."""
    step = max(1, int(bytes_per_second / 10))  # about ten writes a second at most
    pause = step / bytes_per_second
    for chunk in body:
        for start in range(0, len(chunk), step):
            yield chunk[start : start + step]
            time.sleep(pause)


def _odd_id(guid: Any, name: str, options: dict[str, Any]) -> Any:
    if not isinstance(guid, str):
        return guid
    if name == "malformed_ids":
        return options["value"]
    # Unique per object and unrelated to its GUID, so that no prefix of it finds the object.
    seed = hashlib.sha256(guid.encode()).hexdigest()
    length = options["length"]
    return (seed * (length // len(seed) + 1))[:length]


def rewrite_ids(data: Any, name: str, options: dict[str, Any]) -> Any:
    """An answer with its CWGuid and OwnerCWGuid values replaced (the stored data keeps them)."""
    if isinstance(data, list):
        return [rewrite_ids(item, name, options) for item in data]
    if isinstance(data, dict):
        return {
            key: _odd_id(value, name, options) if key in ID_FIELDS else value
            for key, value in data.items()
        }
    return data
