from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from exports.webhooks import pleo_webhook

urlpatterns = [
    path("admin/", admin.site.urls),
    # Public, outside the admin: Pleo delivers its webhooks here (a reverse proxy forwards /webhooks/pleo/).
    path("webhooks/pleo/<uuid:endpoint_id>/", pleo_webhook, name="pleo_webhook"),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]

# The stand-ins for Pleo and Odoo exist only where the sandbox is switched on (tests, demo).
if settings.SANDBOX_ENABLED:
    urlpatterns.insert(0, path("sandbox/", include("sandbox.urls")))
