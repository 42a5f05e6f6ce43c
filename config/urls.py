from allauth.account.views import login as allauth_login
from django.contrib import admin
from django.urls import include, path

from common import health

urlpatterns = [
    # For the orchestrator (live) and the load balancer (ready): README, "Production".
    path("health/live/", health.liveness, name="health_live"),
    path("health/ready/", health.readiness, name="health_ready"),
    path("admin/", admin.site.urls),
    path("staff/account/", include("allauth.urls")),
    # The staff sign-in keeps its address; defined after allauth's URLs so
    # that reverse("account_login") (allauth's own links too) names it.
    path("staff/sign-in/", allauth_login, name="account_login"),
    path("staff/photos/", include("uploads.urls")),
    # Twilio's delivery reports for texts (signed; no patient information).
    path("sms/", include("notifications.urls")),
    path("staff/", include("consultations.staff_urls")),
    path("", include("consultations.urls")),
]

handler400 = "consultations.error_views.bad_request"
handler500 = "consultations.error_views.server_error"
