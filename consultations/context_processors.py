from django.conf import settings


def clinic(request):
    return {
        "clinic_name": settings.PORTAL_CLINIC_NAME,
        "privacy_notice_version": settings.PORTAL_PRIVACY_NOTICE_VERSION,
    }
