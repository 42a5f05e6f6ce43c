"""Where a request came from: the one place the portal reads a client's address."""

from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address, for access records and the sign-in lockout."""
    return request.META.get("REMOTE_ADDR") or None
