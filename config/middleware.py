"""Limits failed admin logins per client address and per user name, against password guessing."""
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import reverse

__all__ = ["LoginRateLimitMiddleware"]

KEY_PREFIX = "login-failures"


class LoginRateLimitMiddleware:
    """Counts failed POSTs to the admin login in the cache, shared by every web process when REDIS_URL is
    set. Past LOGIN_FAILURE_LIMIT failures within LOGIN_FAILURE_WINDOW_SECONDS from one address, or for
    one user name, further attempts are answered 429 until the window ends. A successful login is not
    counted. The window starts at the first failure, so a guesser cannot keep it open by trying slowly."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST" or request.path != reverse("admin:login"):
            return self.get_response(request)
        # Hashed: a user name may hold characters a cache key may not.
        username_hash = hashlib.sha256(request.POST.get("username", "").strip().lower().encode()).hexdigest()
        keys = [
            f"{KEY_PREFIX}:address:{_client_address(request)}",
            f"{KEY_PREFIX}:user:{username_hash}",
        ]
        if any((cache.get(key) or 0) >= settings.LOGIN_FAILURE_LIMIT for key in keys):
            minutes = max(1, round(settings.LOGIN_FAILURE_WINDOW_SECONDS / 60))
            return HttpResponse(
                f"Too many failed logins from this address or for this user name. Try again in {minutes} minutes.",
                status=429, content_type="text/plain; charset=utf-8",
            )
        response = self.get_response(request)
        if not request.user.is_authenticated:
            for key in keys:
                cache.add(key, 0, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
                try:
                    cache.incr(key)
                except ValueError:  # expired between add and incr: this failure opens a new window
                    cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
        return response


def _client_address(request) -> str:
    """REMOTE_ADDR, or behind a reverse proxy the address it appended last to LOGIN_CLIENT_ADDRESS_HEADER:
    earlier entries come from the client and could be anything."""
    header = settings.LOGIN_CLIENT_ADDRESS_HEADER
    if header and request.META.get(header):
        return request.META[header].split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
