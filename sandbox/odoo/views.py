"""The emulated Odoo's single endpoint: POST /sandbox/odoo[/<database>]/jsonrpc."""
import time

from django.http import HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

from sandbox.odoo.services import rpc_handle

__all__ = ["jsonrpc"]


@csrf_exempt
def jsonrpc(request, database: str | None = None):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    answer = rpc_handle(request.body, pinned_database=database)
    if answer.sleep_seconds:
        time.sleep(answer.sleep_seconds)
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
