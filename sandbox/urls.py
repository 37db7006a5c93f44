from django.urls import include, path

urlpatterns = [
    path("odoo/", include("sandbox.odoo.urls")),
    path("pleo/", include("sandbox.pleo.urls")),
]
