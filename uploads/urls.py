from django.urls import path

from . import views

app_name = "uploads"

urlpatterns = [
    path("<uuid:photo_id>/<str:rendition>/", views.photo_rendition, name="photo_rendition"),
]
