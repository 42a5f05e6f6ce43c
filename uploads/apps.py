from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "uploads"
    verbose_name = "Patient photos"

    def ready(self):
        from django.conf import settings
        from pi_heif import register_heif_opener
        from PIL import Image

        register_heif_opener()
        # Our own limit is checked (with a clear message) before decoding; keep
        # Pillow's guard at least as high so it does not pre-empt that message.
        Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS, settings.PORTAL_MAX_PHOTO_PIXELS)
