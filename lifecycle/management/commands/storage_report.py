from django.core.management.base import BaseCommand

from lifecycle.orphans import orphan_grace, storage_report


class Command(BaseCommand):
    help = (
        "Compare the private storage with the rows: objects no row needs (older than "
        "PORTAL_STORAGE_ORPHAN_AFTER_SECONDS) and rows whose object is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--delete", action="store_true", help="Also delete the objects no row needs."
        )

    def handle(self, *args, delete: bool = False, **options):
        # Keys and ids only: random, never a patient's detail.
        report = storage_report(delete=delete)
        self.stdout.write(f"{report.listed} object(s) listed.")
        self.stdout.write(
            f"{len(report.unreferenced)} object(s) older than {orphan_grace()} "
            "not needed by any row:"
        )
        for item in report.unreferenced:
            self.stdout.write(f"  {item.key} (written {item.modified:%Y-%m-%d %H:%M})")
        if delete:
            self.stdout.write(f"{report.deleted} of them deleted.")
        self.stdout.write(f"{len(report.missing)} row(s) whose object is missing:")
        for line in report.missing:
            self.stdout.write(f"  {line}")
