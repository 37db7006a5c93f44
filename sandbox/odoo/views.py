"""The emulated Odoo's endpoints: POST /sandbox/odoo[/<database>]/jsonrpc, JSON-2, the web routes beside it, and
the web client's read-only journal entries at /sandbox/odoo/<database>/web."""
import time

from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from sandbox.odoo.models import EmulatedDatabase
from sandbox.odoo.services import rpc_handle, web_route_handle
from sandbox.odoo.web_client import journal_entries_read
from sandbox.transport import BROKEN_ANSWER_HEADER

__all__ = ["jsonrpc", "web_route", "web_client"]


def _http_response(answer) -> HttpResponse:
    if answer.sleep_seconds:
        time.sleep(answer.sleep_seconds)
    response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    for header, value in answer.headers:
        response[header] = value
    if answer.broken:
        # Over a socket the cut-off body or the late 504 is what the caller sees; in-process the
        # transport turns this mark into the exception `requests` raises (sandbox.transport).
        response[BROKEN_ANSWER_HEADER] = answer.broken
    return response


@csrf_exempt
def jsonrpc(request, database: str | None = None):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return _http_response(rpc_handle(request.body, pinned_database=database))


@csrf_exempt
def web_route(request, database: str, route: str, model: str = "", method: str = ""):
    """/json/2/<model>/<method>, /web/version, /web/webclient/version_info and /web/login, answered as the
    database's Odoo version does."""
    base_url = request.path[: request.path.index(f"/{database}/") + len(database) + 1]
    path = request.path[len(base_url):]
    answer = web_route_handle(
        route=route, pinned_database=database, path=path, base_url=base_url, method=request.method,
        headers=request.headers, body=request.body, model=model, model_method=method,
    )
    return _http_response(answer)


@require_safe
def web_client(request, database: str):
    """Where the portal's "Open in Odoo" link leads (sandbox.odoo.web_client): the database's journal entries."""
    emulated = get_object_or_404(EmulatedDatabase, name=database)
    return render(request, "sandbox_odoo/journal_entries.html",
                  {"database": emulated, "entries": journal_entries_read(database=emulated)})
