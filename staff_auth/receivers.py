"""Signals from Django, allauth and axes, turned into security events."""

import time

from allauth.account.internal.flows.login import record_authentication
from allauth.account.signals import (
    authentication_step_completed,
    password_changed,
    password_reset,
)
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import lockout
from .events import Kind, security_event_record
from .sessions import SIGNED_IN_AT

SECOND_FACTORS = {Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN}


def account_named(username) -> object | None:
    """The account a typed username names, if any: events keep its id, never the text."""
    if not isinstance(username, str) or not username:
        return None
    return get_user_model().objects.filter(username=username).first()


@receiver(user_logged_in)
def signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = time.time()
    security_event_record(Kind.SIGN_IN, request=request, user=user)


@receiver(user_login_failed)
def sign_in_failed(sender, credentials, request=None, **kwargs):
    user = account_named(credentials.get("username"))
    security_event_record(
        Kind.SIGN_IN_FAILED,
        request=request,
        user=user,
        detail="" if user else "no such account",
    )
    if (
        user is not None
        and lockout.recent_failures(user) == settings.PORTAL_LOGIN_ACCOUNT_FAILURE_LIMIT
    ):
        security_event_record(Kind.LOCKED_OUT, request=request, user=user, detail="account")


@receiver(user_logged_out)
def signed_out(sender, request, user, **kwargs):
    security_event_record(Kind.SIGN_OUT, request=request, user=user)


@receiver(user_locked_out)
def locked_out(sender, request, username=None, ip_address=None, **kwargs):
    security_event_record(
        Kind.LOCKED_OUT, request=request, user=account_named(username), detail="address"
    )


@receiver(authentication_step_completed)
def step_completed(sender, request, user, method, **kwargs):
    # A new session key after the password, so a key seen before sign-in
    # (fixation) is worth nothing; django.contrib.auth.login rotates it again
    # after the second factor.
    if method == "password" and hasattr(request, "session"):
        request.session.cycle_key()


@receiver(mfa_signals.authenticator_added)
def factor_added(sender, request, user, authenticator, **kwargs):
    security_event_record(Kind.MFA_ENROLLED, request=request, user=user, detail=authenticator.type)
    if authenticator.type in SECOND_FACTORS:
        # Enrolling proves possession of the new factor, just as using it
        # would: the session now counts as signed in with two factors.
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)


@receiver(mfa_signals.authenticator_removed)
def factor_removed(sender, request, user, authenticator, **kwargs):
    security_event_record(Kind.MFA_REMOVED, request=request, user=user, detail=authenticator.type)


@receiver(mfa_signals.authentication_failed)
def factor_refused(sender, request, user, authenticator=None, **kwargs):
    detail = authenticator.type if authenticator is not None else ""
    security_event_record(Kind.MFA_FAILED, request=request, user=user, detail=detail)


@receiver(mfa_signals.authenticator_used)
def factor_used(sender, request, user, authenticator, **kwargs):
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        security_event_record(Kind.RECOVERY_CODE_USED, request=request, user=user)


@receiver(password_reset)
def reset_done(sender, request, user, **kwargs):
    security_event_record(Kind.PASSWORD_RESET, request=request, user=user)


@receiver(password_changed)
def password_was_changed(sender, request, user, **kwargs):
    security_event_record(Kind.PASSWORD_CHANGED, request=request, user=user)
