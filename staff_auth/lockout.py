"""The per-account half of the sign-in lockout (axes does the per-address half).

Wrong passwords for one account from any number of addresses count together:
after PORTAL_LOGIN_ACCOUNT_FAILURE_LIMIT within PORTAL_LOGIN_ACCOUNT_WINDOW_MINUTES
the account's sign-in pauses until the oldest of them is that old. The window
is short on purpose: a stranger can pause a coordinator's sign-in, never for
long, while an address that guesses is shut out for longer by axes.
Counted from the security events, so every server process sees the same count.
"""

import datetime

from django.conf import settings
from django.utils import timezone

from .models import SecurityEvent


def window() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.PORTAL_LOGIN_ACCOUNT_WINDOW_MINUTES)


def recent_failures(user) -> int:
    since = timezone.now() - window()
    last_success = (
        SecurityEvent.objects.filter(
            kind=SecurityEvent.Kind.SIGN_IN, user_id=user.pk, at__gte=since
        )
        .values_list("at", flat=True)
        .first()
    )
    return SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.SIGN_IN_FAILED,
        user_id=user.pk,
        at__gte=max(since, last_success) if last_success else since,
    ).count()


def account_paused(user) -> bool:
    return recent_failures(user) >= settings.PORTAL_LOGIN_ACCOUNT_FAILURE_LIMIT
