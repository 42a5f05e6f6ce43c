from django.urls import path

from . import photo_uploads, views

app_name = "consultations"

urlpatterns = [
    path("", views.request_new, name="request_new"),
    path("request/another/", views.request_another, name="request_another"),
    path("request/received/", views.request_received, name="received"),
    path("request/photos/", photo_uploads.photo_upload, name="photo_upload"),
    path(
        "request/photos/<uuid:held_id>/remove/",
        photo_uploads.photo_remove,
        name="photo_remove",
    ),
    path(
        "request/photos/<uuid:held_id>/preview/",
        photo_uploads.photo_preview,
        name="photo_preview",
    ),
    path("status/<str:token>/", views.request_status, name="status"),
]
