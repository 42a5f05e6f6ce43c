from django.conf import settings


def clinic_details() -> dict:
    """What pages and emails may show about the clinic. Settings only, no request:
    the 500 page and the emails use it too."""
    phone = settings.PORTAL_CLINIC_PHONE
    return {
        "clinic_name": settings.PORTAL_CLINIC_NAME,
        "clinic_phone": phone,
        # A tel: link wants the number without spaces or punctuation.
        "clinic_phone_uri": "tel:" + "".join(c for c in phone if c in "+0123456789"),
        "clinic_email": settings.PORTAL_CLINIC_EMAIL,
        "privacy_notice_version": settings.PORTAL_PRIVACY_NOTICE_VERSION,
        "max_photos": settings.PORTAL_MAX_PHOTOS,
    }


def clinic(request) -> dict:
    return clinic_details()
