"""Staff pages of the data lifecycle: erase a case, export it for the clinic's records."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from consultations.access import StaffRequest, case_for, phi_view
from consultations.workflow import Role

from .erasure import consultation_erase
from .export_fhir import case_bundle
from .export_pdf import case_pdf
from .forms import EraseForm


@require_http_methods(["GET", "POST"])
@phi_view(Role.COORDINATOR)
def case_erase(request: StaffRequest, reference: str) -> HttpResponse:
    """Coordinators only (README "Data lifecycle"): the case page, the queue and
    the patient are theirs; the reference typed again guards against a slip."""
    consultation = case_for(request, reference)
    data = request.POST if request.method == "POST" else None
    form = EraseForm(data, expected=consultation.reference)
    if request.method == "POST" and form.is_valid():
        consultation_erase(
            consultation_id=consultation.pk, by=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(
            request, gettext("%(reference)s was erased.") % {"reference": consultation.reference}
        )
        return redirect("staff:queue")
    status = 400 if form.is_bound else 200
    return render(
        request, "lifecycle/case_erase.html", {"case": consultation, "form": form}, status=status
    )


def _attachment(content: bytes, *, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@phi_view(Role.COORDINATOR, Role.SURGEON)
def case_export_pdf(request: StaffRequest, reference: str) -> HttpResponse:
    consultation = case_for(request, reference)
    return _attachment(
        case_pdf(consultation), content_type="application/pdf", name=f"{reference}.pdf"
    )


@phi_view(Role.COORDINATOR, Role.SURGEON)
def case_export_fhir(request: StaffRequest, reference: str) -> HttpResponse:
    consultation = case_for(request, reference)
    return _attachment(
        case_bundle(consultation).model_dump_json(exclude_none=True).encode(),
        content_type="application/fhir+json",
        name=f"{reference}.fhir.json",
    )
