"""Request rates of the API, in three scopes: anonymous callers (by address), signed-in users (session, by user) and
reporting tools on a named API token (by token, so two tools of one user do not share a budget); and a fourth,
``auth_failure``, for failed token sign-ins by address (``AuthFailureThrottle``). The rates are
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (set from the environment in settings); a scope without a rate is not
limited. Over the rate: 429 with ``Retry-After``.

The counters live in the default cache, which must be shared by every process serving the API (Redis in production);
a per-process cache would multiply the rates by the number of workers.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from .models import ApiToken


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


class AuthFailureThrottle(_RatesFromSettings, SimpleRateThrottle):
    """Failed token sign-ins (an unknown, revoked or expired key) per client address. The other throttles run after
    authentication, so a request with a wrong key never meets them: ``accounts.api.ApiTokenAuthentication`` asks
    this one before it looks a key up and tells it of every failure. Past the rate every token request from the
    address is refused with 429 and ``Retry-After`` — a right key too, so the answer tells a guesser nothing — until
    the oldest failure leaves the window. The address is DRF's (``REMOTE_ADDR``, or ``X-Forwarded-For`` behind
    ``NUM_PROXIES`` proxies)."""

    scope = "auth_failure"

    def get_cache_key(self, request, view=None) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _recent(self, request) -> list[float]:
        self.key = self.get_cache_key(request)
        self.now = self.timer()
        self.history = [at for at in self.cache.get(self.key, []) if at > self.now - self.duration]
        return self.history

    def wait_if_blocked(self, request) -> float | None:
        """Seconds until the address may try a key again; ``None`` when it may now."""
        if self.rate is None or len(self._recent(request)) < self.num_requests:
            return None
        return self.wait()

    def record_failure(self, request) -> None:
        if self.rate is None:
            return
        history = self._recent(request)
        history.insert(0, self.now)
        self.cache.set(self.key, history, self.duration)
