from django.urls import path

from sandbox.odoo import views

__all__ = ["urlpatterns"]

app_name = "sandbox_odoo"
urlpatterns = [
    path("jsonrpc", views.jsonrpc, name="jsonrpc"),
    # A URL per database pins which version `common.version` announces.
    path("<str:database>/jsonrpc", views.jsonrpc, name="jsonrpc-database"),
]
