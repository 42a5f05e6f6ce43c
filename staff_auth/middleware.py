"""Every signed-in request passes here: second factor, then absolute lifetime.

A staff member who signed in with a password but has no second factor yet
reaches only the enrolment pages and sign-out. A session that somehow lacks
the second factor although the account has one (a sign-in path that skipped
it) is ended, as is a session older than PORTAL_SESSION_MAX_SECONDS.
"""

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse

from .events import Kind, security_event_record
from .sessions import has_second_factor, passed_second_factor, past_lifetime


class SignedInSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            refusal = self.refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def refusal(self, request):
        if past_lifetime(request):
            security_event_record(Kind.SESSION_EXPIRED, request=request, user=request.user)
            logout(request)
            return redirect_to_login(request.get_full_path())
        if passed_second_factor(request):
            return None
        if has_second_factor(request.user):
            logout(request)
            return redirect_to_login(request.get_full_path())
        if self.enrolment_allowed(request.path):
            return None
        return redirect("mfa_index")

    @staticmethod
    def enrolment_allowed(path: str) -> bool:
        allowed = (reverse("mfa_index"), reverse("account_logout"), settings.STATIC_URL)
        return path.startswith(allowed)
