"""Reading what came back from an Odoo server (or did not): shared by the JSON-RPC and JSON-2 transports."""
from __future__ import annotations

import email.utils
import time
from typing import Any

import requests

__all__: list[str] = []


def _never_connected(exc: requests.RequestException) -> bool:
    """True when the request certainly never reached the server (no connection was made).

    A connect time-out, a refused connection or a failed DNS lookup; not a connection dropped
    after the body was sent (urllib3's "Connection aborted"), which Odoo may have processed.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.ReadTimeout)):
        return False
    import urllib3.exceptions

    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, urllib3.exceptions.NewConnectionError):
            return True
        todo.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        todo.extend(arg for arg in current.args if isinstance(arg, BaseException))
    return False


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _envelope(response: requests.Response) -> dict | None:
    """The JSON-RPC envelope of an answer, or None when the body is not one."""
    body = _json_or_none(response)
    if isinstance(body, dict) and body.get("jsonrpc") == "2.0":
        return body
    return None


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _describe_body(response: requests.Response) -> str:
    content_type = response.headers.get("Content-Type", "")
    if "html" in content_type.lower() or response.text.lstrip()[:1] == "<":
        return "an HTML page"
    try:
        response.json()
    except ValueError:
        if "json" in content_type.lower() or response.text.lstrip()[:1] in ("{", "["):
            return "JSON that is cut off or malformed"
        return f"a {content_type or 'non-JSON'} answer"
    return "JSON that is not a JSON-RPC answer"


def _maybe_reached(common: dict, changes_data: bool) -> str:
    """The end of a sentence about an answer Odoo may have sent after making a change."""
    if not changes_data:
        return "."
    common["extra"]["may_have_reached_odoo"] = True
    return ". Odoo may still have made the change: check before sending it again."


def _extra(call: dict) -> dict:
    return {k: v for k, v in call.items() if v is not None}
