"""Lets `requests` reach the sandboxes inside the test process, without a socket.

Tests mount `InProcessAdapter` on a `requests.Session` for `http://sandbox.test/`: a request is handed
to Django's test client, so the Odoo emulator and the Pleo sandbox answer in the same database
transaction as the test. Tests that need a real socket (dropped connections, several processes) use
pytest-django's `live_server` instead.
"""
from contextlib import contextmanager
from io import BytesIO
from urllib.parse import urlsplit

import requests
from django.test import Client as DjangoClient
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

__all__ = ["BROKEN_ANSWER_HEADER", "SANDBOX_TEST_URL", "InProcessAdapter", "in_process_session", "sandboxes_in_process"]

SANDBOX_TEST_URL = "http://sandbox.test"
# A sandbox fault marks an answer the caller never gets whole: "read_timeout" or "connection_reset".
BROKEN_ANSWER_HEADER = "X-Sandbox-Broken-Answer"


class InProcessAdapter(BaseAdapter):
    def __init__(self):
        super().__init__()
        self.django = DjangoClient(raise_request_exception=False)

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in {"content-length", "host"}}
        content_type = headers.pop("Content-Type", "application/octet-stream")
        answer = self.django.generic(
            request.method, path, data=body, content_type=content_type, headers=headers,
            SERVER_NAME=parts.hostname, HTTP_HOST=parts.netloc,
        )
        broken = answer.get(BROKEN_ANSWER_HEADER)
        if broken == "read_timeout":
            raise requests.exceptions.ReadTimeout(f"sandbox fault: no answer from {parts.netloc}", request=request)
        if broken == "connection_reset":
            raise requests.exceptions.ConnectionError(
                ConnectionResetError(104, "Connection reset by peer (sandbox fault)"), request=request)
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = CaseInsensitiveDict(dict(answer.items()))
        content = b"".join(answer.streaming_content) if answer.streaming else answer.content
        response.raw = BytesIO(content)
        response._content = content
        response.url = request.url
        response.request = request
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        response.reason = getattr(answer, "reason_phrase", "")
        return response

    def close(self):
        pass


def in_process_session(base_url: str = SANDBOX_TEST_URL) -> requests.Session:
    session = requests.Session()
    session.mount(base_url, InProcessAdapter())
    return session


@contextmanager
def sandboxes_in_process(base_url: str):
    """Let the portal reach the sandboxes at `base_url` in this process, e.g. while seeding the demo
    before the web server that normally serves them is up."""
    from integrations import transport

    original = transport.http_session
    transport.http_session = lambda: in_process_session(base_url)
    try:
        yield
    finally:
        transport.http_session = original
