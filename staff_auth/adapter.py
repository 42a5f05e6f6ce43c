"""allauth, fitted to a staff-only portal: no sign-up, lockout per account."""

from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.shortcuts import render

from . import lockout
from .events import Kind, security_event_record
from .receivers import account_named

RESET_EMAIL = "account/email/password_reset_key"
QUIET_MESSAGES = {"account/messages/logged_in.txt", "account/messages/logged_out.txt"}


def paused_page(request, minutes: int):
    return render(request, "staff/locked_out.html", {"minutes": minutes}, status=429)


class StaffAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Accounts are created by the clinic's administrator, never by visitors.
        return False

    def pre_authenticate(self, request, **credentials):
        # allauth's own cache-based limit is off (ACCOUNT_RATE_LIMITS): per
        # process caches would let a guesser spread over server processes.
        user = account_named(credentials.get("username"))
        if user is not None and lockout.account_paused(user):
            minutes = int(lockout.window().total_seconds() // 60)
            raise ImmediateHttpResponse(paused_page(request, minutes))

    def add_message(self, request, level, message_template=None, *args, **kwargs):
        # "Signed in as ..." would linger to the next page, whatever it is.
        if message_template in QUIET_MESSAGES:
            return
        super().add_message(request, level, message_template, *args, **kwargs)

    def send_mail(self, template_prefix, email, context):
        if template_prefix == RESET_EMAIL:
            security_event_record(
                Kind.PASSWORD_RESET_REQUESTED,
                request=context.get("request"),
                user=context.get("user"),
            )
        super().send_mail(template_prefix, email, context)


class StaffMFAAdapter(DefaultMFAAdapter):
    def _get_site_name(self) -> str:
        return settings.PORTAL_CLINIC_NAME

    def get_public_key_credential_rp_entity(self) -> dict[str, str]:
        # The configured site, not the request's Host header: a passkey is
        # bound to this name, so it must not depend on how a request arrived.
        return {"id": urlsplit(settings.PORTAL_SITE_URL).hostname, "name": self._get_site_name()}
