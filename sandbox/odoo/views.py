"""The emulated Odoo's single endpoint: POST /sandbox/odoo[/<database>]/jsonrpc."""
import time

from django.http import HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

from sandbox.odoo.services import rpc_handle
from sandbox.transport import BROKEN_ANSWER_HEADER

__all__ = ["jsonrpc"]


@csrf_exempt
def jsonrpc(request, database: str | None = None):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    answer = rpc_handle(request.body, pinned_database=database)
    if answer.sleep_seconds:
        time.sleep(answer.sleep_seconds)
    response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    if answer.broken:
        # Over a socket the cut-off body or the late 504 is what the caller sees; in-process the
        # transport turns this mark into the exception `requests` raises (sandbox.transport).
        response[BROKEN_ANSWER_HEADER] = answer.broken
    return response
