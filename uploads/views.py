"""Staff access to photo renditions, checked and recorded on every request."""

import logging
import uuid

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET

from consultations.access import StaffRequest, phi_view, photo_for
from consultations.workflow import Role

from .models import Rendition, RenditionName
from .services import photo_download_name
from .storage import is_s3, private_storage

logger = logging.getLogger(__name__)

# The browser must not keep a copy, and must treat the bytes as what we say.
PRIVATE_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


@require_GET
@phi_view(Role.COORDINATOR, Role.SURGEON)
def photo_rendition(request: StaffRequest, photo_id: uuid.UUID, rendition: str) -> HttpResponseBase:
    """Hand one rendition to a staff member allowed to see the photo.

    S3: a redirect to a presigned URL that expires within a minute and fixes
    the content type and disposition. Local storage: the file itself.
    A photo still processing (or failed) answers 409 with a plain page; only
    someone allowed to see the photo gets that far, so it reveals nothing.
    ``phi_view`` records every answer once, whatever its status.
    """
    if rendition not in RenditionName.values:
        raise Http404("No such rendition.")
    photo = photo_for(request, photo_id, rendition)
    found = Rendition.objects.filter(photo=photo, name=rendition).first()
    if not photo.is_ready or found is None:
        return _private(
            render(request, "uploads/photo_not_ready.html", {"photo": photo}, status=409)
        )

    disposition = f'inline; filename="{photo_download_name(photo=photo, rendition=found)}"'
    storage = private_storage()
    if _can_presign(storage):
        url = storage.url(
            found.key,
            parameters={
                "ResponseContentType": found.content_type,
                "ResponseContentDisposition": disposition,
                # Neither the browser nor a proxy keeps a copy of a patient's photo.
                "ResponseCacheControl": "private, no-store",
            },
            expire=settings.PORTAL_PHOTO_URL_EXPIRY_SECONDS,
        )
        return _private(HttpResponseRedirect(url))
    try:
        handle = storage.open(found.key, "rb")
    except FileNotFoundError:
        # The row says ready but the bytes are gone: say so plainly, and alert.
        logger.error("rendition missing from storage photo=%s rendition=%s", photo.id, rendition)
        raise Http404("This photo's file is missing from storage.") from None
    response = FileResponse(handle, content_type=found.content_type)
    response["Content-Disposition"] = disposition
    return _private(response)


def _can_presign(storage) -> bool:
    # S3Storage signs URLs; LocalPrivateStorage deliberately has no URL at all.
    return is_s3(storage)


def _private(response: HttpResponseBase) -> HttpResponseBase:
    for header, value in PRIVATE_HEADERS.items():
        response[header] = value
    return response
