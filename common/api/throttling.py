"""Request rates of the API, in three scopes: anonymous callers (by address), signed-in users (session, by user) and reporting tools on a named API token (by token, so two tools of one user do not share a
budget). The rates are ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (set from the environment in settings); a scope
without a rate is not limited. Over the rate: 429 with ``Retry-After``.

The counters live in the default cache, which must be shared by every process serving the API (Redis in production);
a per-process cache would multiply the rates by the number of workers.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from accounts.models import ApiToken


class _RatesFromSettings:
    """DRF copies the rates into the class when it is defined; read them on each request instead, so settings
    overrides (a test's, an environment's) are honoured."""

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(_RatesFromSettings, AnonRateThrottle):
    scope = "anon"


class UserThrottle(_RatesFromSettings, UserRateThrottle):
    """Signed-in users; requests made with a named API token count in the ``api_token`` scope instead."""

    scope = "user"

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, ApiToken):
            return None
        return super().get_cache_key(request, view)


class ApiTokenThrottle(_RatesFromSettings, SimpleRateThrottle):
    """Reporting tools: each named API token has its own budget."""

    scope = "api_token"

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
