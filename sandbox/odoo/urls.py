from django.urls import path

from sandbox.odoo import views

__all__ = ["urlpatterns"]

app_name = "sandbox_odoo"
urlpatterns = [
    path("jsonrpc", views.jsonrpc, name="jsonrpc"),
    # A URL per database pins which version `common.version` announces.
    path("<str:database>/jsonrpc", views.jsonrpc, name="jsonrpc-database"),
    # JSON-2 (Odoo 19; where a client probes for it, README "Telling JSON-2 servers apart").
    path("<str:database>/json/2/<str:model>/<str:method>", views.web_route, {"route": "json-2"}, name="json2"),
    path("<str:database>/web/version", views.web_route, {"route": "web-version"}, name="web-version"),
    path("<str:database>/web/webclient/version_info", views.web_route, {"route": "webclient-version-info"},
         name="webclient-version-info"),
    # The web client, as far as the portal's "Open in Odoo" link goes: the move is named after the `#`.
    path("<str:database>/web", views.web_client, name="web-client"),
    # Where Odoo 18 sends a JSON-2 call (v18/118: 303 to /web/login).
    path("<str:database>/web/login", views.web_route, {"route": "web-login"}, name="web-login"),
]
