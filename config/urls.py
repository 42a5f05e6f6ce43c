from allauth.account.decorators import secure_admin_login
from allauth.account.views import login as allauth_login
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Consultation portal administration"
# One sign-in for staff and administrators, second factor included.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("staff/account/", include("allauth.urls")),
    # The staff sign-in keeps its address; defined after allauth's URLs so
    # that reverse("account_login") (allauth's own links too) names it.
    path("staff/sign-in/", allauth_login, name="account_login"),
    path("staff/photos/", include("uploads.urls")),
    path("staff/", include("consultations.staff_urls")),
    path("", include("consultations.urls")),
]

handler400 = "consultations.error_views.bad_request"
handler500 = "consultations.error_views.server_error"
