"""Photos sent in the background while the patient fills in the rest of a form.

The upload widget (static/js/photo-upload.js) posts each photo here the moment
it is chosen. Each is decoded and checked exactly like a photo sent with the
form, then held (uploads.held) against the form's submission key and this
browser's holder token; sending the form claims what is held, so Send carries
only the typed fields. Every answer is JSON for the widget: ``error`` is a
sentence for the patient, ``retry`` whether trying again may help.
"""

import json
import logging
import re
import uuid

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import get_usage

from common.database import CONNECTION_ERRORS, reconnect
from common.network import client_address
from uploads.held import held_uploads, held_uploads_release, upload_hold
from uploads.models import HeldUpload
from uploads.processing import PhotoUndecodable, preview_image, quality_thresholds
from uploads.services import STORAGE_ERRORS, AcceptedPhoto
from uploads.storage import private_storage
from uploads.templatetags.photo_sizes import photo_size
from uploads.validation import ACCEPTED_FORMATS_TEXT
from uploads.views import PRIVATE_HEADERS

from .forms import SLOT_ANGLES, SlotPhotoField, chosen_in
from .kept_photos import holder_of

logger = logging.getLogger(__name__)

NOT_SAVED = _("This photo could not be saved just now. It will be tried again in a moment.")
TOO_MANY = _(
    "You have {count} photos here; the clinic takes at most {most}. Remove one to add another."
)
SLOW_DOWN = _("Too many photos were sent from your network just now. Please wait a minute.")


def widget_texts() -> dict[str, str]:
    """Every sentence the widget shows or announces, in the page's language.

    The page hands them to static/js/photo-upload.js in a data attribute (the
    CSP allows no inline script); the widget fills in the {placeholders}.
    """
    return {
        "empty": gettext(
            "“{name}” is empty (0 bytes), so there is no photo in it. "
            "Please choose the photo again."
        ),
        "notPhoto": gettext("“{name}” is not a photo we can take: please choose a {formats} file."),
        "tooBig": gettext("“{name}” is {size}; each photo may be at most {most}."),
        "tooManyPixels": gettext(
            "“{name}” is too large ({width}×{height} pixels). Please send a smaller copy."
        ),
        "tooMany": gettext("The clinic takes at most {most} photos. Remove one to add “{name}”."),
        "dark": gettext("This photo looks dark. If you can, take it again facing a window."),
        "blurry": gettext("This photo may be blurry. Hold the phone steady, or take it again."),
        "small": gettext(
            "This photo is small ({width}×{height} pixels), so details may be hard to see."
        ),
        "uploadOf": gettext("Upload of {name}"),
        "tryAgain": gettext("Try again"),
        "remove": gettext("Remove"),
        "checking": gettext("Checking…"),
        "queued": gettext("Waiting to upload…"),
        "uploading": gettext("Uploading… {percent}%"),
        "serverChecking": gettext("Sent; the clinic's server is checking it…"),
        "uploadingSay": gettext("Uploading {slot}: {name}"),
        "uploaded": gettext("Uploaded"),
        "uploadedSay": gettext("{slot}: {name} uploaded."),
        "connectionLost": gettext("The connection was lost while uploading this photo."),
        "notUploaded": gettext("This photo could not be uploaded."),
        "retrying": gettext("{message} Trying again in {seconds} s…"),
        "failed": gettext("{message} Please try again, or remove it."),
        "removed": gettext("{name} removed."),
        "waitOne": gettext("Your request will be sent as soon as 1 more photo has uploaded…"),
        "waitMany": gettext(
            "Your request will be sent as soon as {count} more photos have uploaded…"
        ),
        "failedOne": gettext(
            "1 photo could not be uploaded. Please try again or remove it, then send."
        ),
        "failedMany": gettext(
            "{count} photos could not be uploaded. Please try again or remove them, then send."
        ),
        "sending": gettext("Sending…"),
    }


def photo_limits() -> dict:
    """What the widget checks in the browser before a byte is sent: the same
    limits and quality thresholds as the server, read from the one place each lives."""
    return {
        "max_bytes": settings.PORTAL_MAX_PHOTO_BYTES,
        "max_size_text": photo_size(settings.PORTAL_MAX_PHOTO_BYTES),
        "max_pixels": settings.PORTAL_MAX_PHOTO_PIXELS,
        "formats_text": ACCEPTED_FORMATS_TEXT,
        "texts": json.dumps(widget_texts(), ensure_ascii=False),
        # data-quality-measure-long-side reads as dataset.qualityMeasureLongSide.
        "quality": {
            re.sub(r"[A-Z]", lambda m: "-" + m.group().lower(), name): value
            for name, value in quality_thresholds().items()
        },
    }


class PhotoUploadForm(forms.Form):
    submission_key = forms.UUIDField()
    slot = forms.ChoiceField(choices=[(angle, angle) for angle in [*SLOT_ANGLES, "other"]])
    photo = SlotPhotoField(label=_("Photo"))


def _refused(message: str | Promise, *, status: int, retry: bool = False) -> JsonResponse:
    response = JsonResponse({"error": str(message), "retry": retry}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _held_json(held: HeldUpload) -> dict:
    return {
        "id": str(held.pk),
        "slot": held.slot,
        "name": held.name,
        "size": held.size,
        "width": held.width,
        "height": held.height,
        "preview": reverse("consultations:photo_preview", args=[held.pk]),
        "remove": reverse("consultations:photo_remove", args=[held.pk]),
    }


def _over_rate(request: HttpRequest) -> bool:
    usage = get_usage(
        request,
        group="consultations.photo_upload",
        key=lambda group, request: client_address(request) or "unknown",
        rate=settings.PORTAL_PHOTO_UPLOAD_RATE_LIMIT,
        method="POST",
        increment=True,
    )
    return usage is not None and usage["should_limit"]


@never_cache
@require_POST
def photo_upload(request: HttpRequest) -> HttpResponse:
    # The widget sends the page's language: the status page's is the request's,
    # which may differ from what this browser prefers.
    if request.POST.get("language") in dict(settings.LANGUAGES):
        translation.activate(request.POST["language"])
    if _over_rate(request):
        return _refused(SLOW_DOWN, status=429, retry=True)
    form = PhotoUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        if "photo" in form.errors:
            return _refused(" ".join(str(message) for message in form.errors["photo"]), status=400)
        # Only a page that was tampered with, or a very old one, gets here.
        return _refused(gettext("Please reload the page and choose the photo again."), status=400)
    key, slot = form.cleaned_data["submission_key"], form.cleaned_data["slot"]
    [accepted] = form.cleaned_data["photo"]
    photo = chosen_in(accepted, slot)
    try:
        return _hold(request, key=key, photo=photo)
    except (*STORAGE_ERRORS, *CONNECTION_ERRORS) as error:
        reconnect()
        logger.error("background photo upload not held: %s", type(error).__name__)
        return _refused(NOT_SAVED, status=503, retry=True)


def _hold(request: HttpRequest, *, key: uuid.UUID, photo: AcceptedPhoto) -> JsonResponse:
    """Hold the photo; in a guided slot it replaces the one held there before."""
    holder = holder_of(request, create=True)
    held = held_uploads(holder=holder, submission_key=key)
    replaced = [h for h in held if photo.angle in SLOT_ANGLES and h.slot == photo.angle]
    count = len(held) - len(replaced) + 1
    if count > settings.PORTAL_MAX_PHOTOS:
        most = settings.PORTAL_MAX_PHOTOS
        return _refused(TOO_MANY.format(count=count, most=most), status=400)
    new = upload_hold(holder=holder, submission_key=key, photo=photo)
    held_uploads_release(replaced)
    return JsonResponse(_held_json(new), status=201)


def _own_held(request: HttpRequest, held_id: uuid.UUID) -> HeldUpload:
    """A held upload of this browser's; anyone else's is as missing as one that never was."""
    holder = holder_of(request)
    found = HeldUpload.objects.filter(pk=held_id, holder=holder).first() if holder else None
    if found is None:
        raise Http404("No such photo.")
    return found


@never_cache
@require_POST
def photo_remove(request: HttpRequest, held_id: uuid.UUID) -> HttpResponse:
    try:
        held_uploads_release([_own_held(request, held_id)])
    except Http404:
        # Removed already (a second click, another tab): what was asked is true.
        pass
    except (*STORAGE_ERRORS, *CONNECTION_ERRORS) as error:
        reconnect()
        logger.error("held photo not removed: %s", type(error).__name__)
        return _refused(
            gettext("This photo could not be removed just now."), status=503, retry=True
        )
    return HttpResponse(status=204)


@never_cache
@require_GET
def photo_preview(request: HttpRequest, held_id: uuid.UUID) -> HttpResponse:
    """A small copy of a held photo, for the browser that chose it and nobody else."""
    held = _own_held(request, held_id)
    try:
        with private_storage().open(held.original_key, "rb") as original:
            preview = preview_image(original, max_pixels=settings.PORTAL_MAX_PHOTO_PIXELS)
    except (PhotoUndecodable, *STORAGE_ERRORS) as error:
        logger.warning("no preview for a held photo held=%s: %s", held.pk, type(error).__name__)
        raise Http404("No preview for this photo.") from None
    response = HttpResponse(preview.content, content_type=preview.content_type)
    for header, value in PRIVATE_HEADERS.items():
        response[header] = value
    return response
