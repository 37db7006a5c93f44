"""The portal's admin site: its home page is the firm's dashboard, the app list stays below it."""
from django.contrib import admin

from dashboard.selectors import dashboard_build, dashboard_filters_parse

__all__ = ["PortalAdminSite"]


class PortalAdminSite(admin.AdminSite):
    index_template = "dashboard/index.html"

    def index(self, request, extra_context=None):
        dashboard = dashboard_build(user=request.user, filters=dashboard_filters_parse(request.GET))
        return super().index(request, {**(extra_context or {}), "dashboard": dashboard})
