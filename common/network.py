"""Where a request came from: the one place the portal reads a client's address.

Behind load balancers, REMOTE_ADDR is the nearest proxy's address and the
client's is in X-Forwarded-For, where each proxy appends the address it saw.
Only the last PORTAL_TRUSTED_PROXY_COUNT entries were written by proxies we
run; anything to their left was sent by the client and may be forged. With
the count at 0 (a direct deployment) the header is ignored entirely.

Written out rather than through django-ipware: ipware's proxy count means
"proxy addresses listed in the header", and with one load balancer (which
lists none) it falls back to the left-most entry, the one a client forges.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address, for access records and the sign-in lockout."""
    direct = _valid(request.META.get("REMOTE_ADDR") or "")
    proxies = settings.PORTAL_TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return direct
    forwarded = [e for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
    if len(forwarded) < proxies:
        # Fewer entries than proxies: the request did not come through them all.
        return direct
    return _valid(forwarded[-proxies]) or direct
