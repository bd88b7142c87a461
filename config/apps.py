from django.contrib.admin.apps import AdminConfig
from django.contrib.staticfiles.apps import StaticFilesConfig


class TrackerAdminConfig(AdminConfig):
    """Makes ``TrackerAdminSite`` the default admin site, so every ``@admin.register`` lands on it."""

    default_site = "config.admin_site.TrackerAdminSite"


class TrackerStaticFilesConfig(StaticFilesConfig):
    """``collectstatic`` leaves out what is never served: the sidecar's ReDoc (the docs are Swagger UI) and its
    source maps — three quarters of its nine megabytes, which WhiteNoise would otherwise compress on every build."""

    ignore_patterns = [
        *StaticFilesConfig.ignore_patterns,
        "drf_spectacular_sidecar/redoc/*",
        "drf_spectacular_sidecar/*.map",
    ]
