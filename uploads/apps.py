from django.apps import AppConfig
from django.core import checks


class UploadsConfig(AppConfig):
    name = "uploads"
    verbose_name = "Patient photos"

    def ready(self):
        from django.conf import settings
        from PIL import Image

        # pi-heif (libheif) is registered with Pillow on the first HEIC that
        # arrives (validation.py), not here: most workers never see one.
        # Our own limit is checked (with a clear message) before decoding; keep
        # Pillow's guard at least as high so it does not pre-empt that message.
        Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS, settings.PORTAL_MAX_PHOTO_PIXELS)
        # Web workers load libvips only on the first photo that needs it, so a
        # server without it would refuse those photos, one by one: say so first.
        checks.register(libvips_check, checks.Tags.compatibility, deploy=True)


def libvips_check(app_configs, **kwargs):
    from .streamed import libvips_missing

    missing = libvips_missing()
    if missing is None:
        return []
    hint = "Install Debian's libvips42 (or your system's libvips 8.x)."
    return [checks.Error(f"libvips cannot be loaded: {missing}", hint=hint, id="uploads.E001")]
