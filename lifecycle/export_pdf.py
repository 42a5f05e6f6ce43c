"""The case as a PDF for the clinic's records (WeasyPrint, DejaVu fonts from Debian)."""

from django.template.loader import render_to_string
from PIL import ImageFile

from consultations.models import ConsultationRequest

from .exports import export_content


def _weasyprint():
    """WeasyPrint's HTML and URLFetcher, leaving Pillow as it was.

    Imported on first use: loading it (Pango, fonts) takes seconds, which only
    an export should pay, not every web process and worker at start. Importing
    it also sets ``ImageFile.LOAD_TRUNCATED_IMAGES = True`` for the whole
    process (weasyprint/images.py): upload validation would then accept
    truncated photos and PNG text-chunk bombs, so the flag is put back.
    """
    loads_truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    ImageFile.LOAD_TRUNCATED_IMAGES = loads_truncated
    return HTML, URLFetcher


def case_pdf(consultation: ConsultationRequest) -> bytes:
    html_class, fetcher_class = _weasyprint()
    html = render_to_string("lifecycle/case_export.html", export_content(consultation))
    # Photos are embedded as data: URIs; nothing is fetched from anywhere else.
    fetcher = fetcher_class(allowed_protocols={"data"})
    return html_class(string=html, url_fetcher=fetcher).write_pdf()
