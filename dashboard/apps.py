"""The dashboard app, and the admin configured to use the portal's own site (the dashboard as its home page)."""
from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps

__all__ = ["DashboardConfig", "PortalAdminConfig"]


class DashboardConfig(AppConfig):
    default = True
    name = "dashboard"
    verbose_name = "Dashboard"


class PortalAdminConfig(admin_apps.AdminConfig):
    """Replaces "django.contrib.admin" in INSTALLED_APPS: every admin.site.register lands on PortalAdminSite."""

    default = False  # named explicitly in INSTALLED_APPS; "dashboard" alone means DashboardConfig
    default_site = "dashboard.sites.PortalAdminSite"
