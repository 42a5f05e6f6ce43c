"""What a notification says, rendered from templates when it is sent.

Email templates live in ``templates/emails/<event>-subject.txt``, ``-body.txt``
and ``-body.html``; text messages (patients' events only) in
``templates/sms/<event>.txt``. Their context has the clinic's name, the request's reference
and one absolute link; nothing the patient typed is ever given to them.
They are rendered in ``notification_language`` (the one place that is
chosen is ``services.notification_deliver``, around every transport).
"""

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string

from consultations.context_processors import clinic_details
from consultations.status_links import status_url

from .links import staff_case_url
from .models import Notification, RecipientKind


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def notification_link(notification: Notification) -> str:
    consultation = notification.consultation
    if notification.recipient_kind == RecipientKind.PATIENT:
        return status_url(consultation)
    return staff_case_url(consultation.reference)


def notification_language(notification: Notification) -> str:
    """The patient's messages are in the language of their request; staff's in English."""
    if notification.recipient_kind == RecipientKind.PATIENT:
        return notification.consultation.language
    return settings.LANGUAGE_CODE


def notification_context(notification: Notification) -> dict:
    return {
        **clinic_details(),
        "site_url": settings.PORTAL_SITE_URL,
        "reference": notification.consultation.reference,
        "link": notification_link(notification),
        "event": notification.event,
    }


def email_render(notification: Notification) -> RenderedEmail:
    context = notification_context(notification)
    prefix = f"emails/{notification.event}"
    subject = render_to_string(f"{prefix}-subject.txt", context)
    return RenderedEmail(
        # A header must be one line.
        subject=" ".join(subject.split()),
        text=render_to_string(f"{prefix}-body.txt", context),
        html=render_to_string(f"{prefix}-body.html", context),
    )


def webhook_payload(notification: Notification) -> dict:
    context = notification_context(notification)
    subject = email_render(notification).subject
    return {
        "event": notification.event,
        "reference": context["reference"],
        "link": context["link"],
        # Slack, Mattermost and Teams-style incoming webhooks show "text".
        "text": f"{subject}: {context['link']}",
    }


def sms_render(notification: Notification) -> str:
    """One paragraph: template line breaks and indents would cost characters."""
    text = render_to_string(f"sms/{notification.event}.txt", notification_context(notification))
    return " ".join(text.split())
