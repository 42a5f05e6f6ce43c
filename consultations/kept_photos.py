"""The web side of held uploads: which browser holds them, and keeping a form's photos.

A random token in the session names the browser (``HOLDER``); held uploads
are looked up by it and the form's submission key together, so a key seen
by someone else claims nothing.
"""

import logging
import secrets
import uuid
from typing import Literal, overload

from django.conf import settings
from django.http import HttpRequest

from common.database import CONNECTION_ERRORS
from uploads.held import held_uploads, held_uploads_release, upload_hold
from uploads.models import HeldUpload
from uploads.services import STORAGE_ERRORS

from .forms import SLOTS, KeptPhotosMixin

logger = logging.getLogger(__name__)

HOLDER = "uploads.holder"


@overload
def holder_of(request: HttpRequest, *, create: Literal[True]) -> str: ...
@overload
def holder_of(request: HttpRequest, *, create: bool = False) -> str | None: ...
def holder_of(request: HttpRequest, *, create: bool = False) -> str | None:
    """This browser's holder token; ``create`` gives it one if it has none yet."""
    holder = request.session.get(HOLDER)
    if not holder and create:
        holder = request.session[HOLDER] = secrets.token_urlsafe(32)
    return holder


def kept_for(request: HttpRequest, submission_key: uuid.UUID | None) -> list[HeldUpload]:
    holder = holder_of(request)
    if not holder or submission_key is None:
        return []
    return held_uploads(holder=holder, submission_key=submission_key)


def keep_photos(request: HttpRequest, form: KeptPhotosMixin, submission_key: uuid.UUID) -> None:
    """The form needs correcting: hold the photos of this post that passed their checks.

    Removed or replaced kept photos are deleted. At most the maximum plus one
    per guided slot is held per form, so a form posted again and again cannot
    fill the storage. A storage or database failure costs the photos, not the page.
    """
    holder = holder_of(request, create=True)
    room = settings.PORTAL_MAX_PHOTOS + len(SLOTS) - len(form.kept_staying())
    try:
        held_uploads_release(form.kept_leaving())
        for photo in form.new_photos()[: max(room, 0)]:
            upload_hold(holder=holder, submission_key=submission_key, photo=photo)
        form.kept = held_uploads(holder=holder, submission_key=submission_key)
    except (*STORAGE_ERRORS, *CONNECTION_ERRORS) as error:
        logger.error("photos of a form needing correction not kept: %s", type(error).__name__)
        form.kept = form.kept_staying()
