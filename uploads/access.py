"""Who may see which photo: the one place that rule lives."""

import uuid

from django.http import Http404

from consultations.access import consultations_visible_to

from .models import Photo


def photo_for_user(user, photo_id: uuid.UUID) -> Photo:
    """The photo ``photo_id`` if ``user`` may see it; Http404 otherwise.

    A photo that does not exist and one the user may not see answer the same,
    so the response never reveals whether a photo exists. Every view that
    hands out photo bytes goes through here.

    Staff holding ``uploads.view_photo``, and only for cases they may see
    (the same rule as the case pages: coordinators every case, a surgeon the
    cases routed to them).
    """
    if not user.is_authenticated or not user.has_perm("uploads.view_photo"):
        raise Http404("No such photo.")
    photos = Photo.objects.select_related("request").filter(
        request__in=consultations_visible_to(user)
    )
    try:
        return photos.get(pk=photo_id)
    except Photo.DoesNotExist:
        raise Http404("No such photo.") from None
