"""The patient's language: English or Spanish (settings.LANGUAGES).

Before a request is sent it is the browser's (Accept-Language, or the switch's
cookie: LocaleMiddleware). Once sent, the request keeps the language it was
sent in (ConsultationRequest.language): its status page is shown in it on any
device, and every message to the patient is rendered in it
(notifications.services). Staff pages are always English
(consultations.middleware.StaffInEnglishMiddleware).
"""

from typing import Literal, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from .models import ConsultationRequest

SameSite = Literal["Lax", "Strict", "None", False] | None


def patient_language() -> str:
    """The language of this request's pages, as one of settings.LANGUAGES."""
    return translation.get_supported_language_variant(translation.get_language())


def activate_for(request: HttpRequest, consultation: ConsultationRequest) -> None:
    """Show this request's pages in the language stored with it."""
    translation.activate(consultation.language)
    request.LANGUAGE_CODE = consultation.language


def remember_choice(response: HttpResponse, language: str) -> HttpResponse:
    """Set the language cookie as Django's set_language view does."""
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=cast(SameSite, settings.LANGUAGE_COOKIE_SAMESITE),
        )
    return response
