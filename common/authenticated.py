"""The request a signed-in user makes, as the type checker sees it.

Django types ``request.user`` as a user or ``AnonymousUser``; behind a sign-in
check it is always a ``User``. Views and helpers that run only there annotate
their request with ``AuthenticatedHttpRequest``; ``is_signed_in`` is the check
that narrows a plain ``HttpRequest`` to it.
"""

from typing import TypeGuard

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedHttpRequest(HttpRequest):
    user: User


def is_signed_in(request: HttpRequest) -> TypeGuard[AuthenticatedHttpRequest]:
    return request.user.is_authenticated
