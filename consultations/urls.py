from django.urls import path
from django.views.i18n import set_language

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
    # The language switch of the patient's pages (a POST form, no script):
    # Django's view sets the cookie; the status page's also keeps the choice
    # with the request, for the messages that follow.
    path("language/", set_language, name="language"),
    path("status/<str:token>/language/", views.status_language, name="status_language"),
]
