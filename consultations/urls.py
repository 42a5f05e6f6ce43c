from django.urls import path

from . import views

app_name = "consultations"

urlpatterns = [
    path("", views.request_new, name="request_new"),
    path("request/another/", views.request_another, name="request_another"),
    path("request/received/", views.request_received, name="received"),
    path("status/<str:token>/", views.request_status, name="status"),
]
