from django.contrib.admin.apps import AdminConfig


class TrackerAdminConfig(AdminConfig):
    """Makes ``TrackerAdminSite`` the default admin site, so every ``@admin.register`` lands on it."""

    default_site = "config.admin_site.TrackerAdminSite"
