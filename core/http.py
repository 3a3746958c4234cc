"""Request helpers that belong to no one app."""

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, or the address the trusted proxies saw (ALLAUTH_TRUSTED_PROXY_COUNT)."""
    proxies = int(getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies:
        forwarded = [
            p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"
