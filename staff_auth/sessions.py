"""What makes a session count as signed in: both factors, and not too old."""

import time

from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings

# Set when django.contrib.auth.login runs (receivers.signed_in); the idle
# timeout (SESSION_COOKIE_AGE) moves with every request, this never does.
SIGNED_IN_AT = "portal_signed_in_at"


def has_second_factor(user) -> bool:
    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


def passed_second_factor(request) -> bool:
    """allauth's own record of this session's sign-in steps includes a second
    factor (used at sign-in, or enrolled just now, see receivers.factor_added)."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def past_lifetime(request) -> bool:
    started = request.session.get(SIGNED_IN_AT)
    if not isinstance(started, int | float):
        return True
    return time.time() - started > settings.PORTAL_SESSION_MAX_SECONDS
