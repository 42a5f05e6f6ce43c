from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("status/<int:notification_id>/", views.sms_status, name="sms_status"),
]
