from django.urls import path

from lifecycle import views as lifecycle_views

from . import staff_views

app_name = "staff"

urlpatterns = [
    path("", staff_views.staff_home, name="home"),
    path("cases/", staff_views.case_queue, name="queue"),
    path("my-cases/", staff_views.my_cases, name="my_cases"),
    path("cases/<str:reference>/", staff_views.case_detail, name="case_detail"),
    path("cases/<str:reference>/compare/", staff_views.case_compare, name="case_compare"),
    path("cases/<str:reference>/notes/", staff_views.case_note, name="case_note"),
    path("cases/<str:reference>/take/", staff_views.case_take, name="case_take"),
    path("cases/<str:reference>/erase/", lifecycle_views.case_erase, name="case_erase"),
    path(
        "cases/<str:reference>/export.pdf", lifecycle_views.case_export_pdf, name="case_export_pdf"
    ),
    path(
        "cases/<str:reference>/export.fhir.json",
        lifecycle_views.case_export_fhir,
        name="case_export_fhir",
    ),
    path("cases/<str:reference>/<str:action>/", staff_views.case_action, name="case_action"),
]
