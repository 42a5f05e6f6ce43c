"""The case as a PDF for the clinic's records (WeasyPrint, DejaVu fonts from Debian)."""

from django.template.loader import render_to_string

from consultations.models import ConsultationRequest

from .exports import export_content


def case_pdf(consultation: ConsultationRequest) -> bytes:
    # Imported here: loading WeasyPrint (pango, fonts) takes seconds, which
    # only an export should pay, not every web process and worker at start.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string("lifecycle/case_export.html", export_content(consultation))
    # Photos are embedded as data: URIs; nothing is fetched from anywhere else.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf()
