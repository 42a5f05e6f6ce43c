from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("staff/photos/", include("uploads.urls")),
    path("staff/", include("consultations.staff_urls")),
    path("", include("consultations.urls")),
]

handler400 = "consultations.error_views.bad_request"
handler500 = "consultations.error_views.server_error"
