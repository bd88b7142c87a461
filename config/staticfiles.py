"""Which of the installed apps' static files ``collectstatic`` gathers."""

from django.contrib.staticfiles import finders

# Never served: the sidecar's ReDoc (the API docs are Swagger UI) and its source maps — three quarters of its nine
# megabytes, which WhiteNoise would otherwise compress on every image build.
NEVER_SERVED = ["drf_spectacular_sidecar/redoc/*", "drf_spectacular_sidecar/*.map"]


class AppDirectoriesFinder(finders.AppDirectoriesFinder):
    def list(self, ignore_patterns):
        return super().list([*(ignore_patterns or []), *NEVER_SERVED])
