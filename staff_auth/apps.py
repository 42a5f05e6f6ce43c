from django.apps import AppConfig


class StaffAuthConfig(AppConfig):
    name = "staff_auth"
    verbose_name = "Staff sign-in"

    def ready(self):
        from . import receivers  # noqa: F401  (connects the security-event receivers)
