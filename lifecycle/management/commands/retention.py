from django.core.management.base import BaseCommand

from lifecycle.retention import retention_apply, retention_due


class Command(BaseCommand):
    help = "Erase requests kept past their retention period (--dry-run: list them only)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List, erase nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        # References, statuses and dates only: this output may end up in a log.
        items = retention_due() if dry_run else retention_apply()
        verb = "would erase" if dry_run else "erased"
        for item in items:
            self.stdout.write(
                f"{verb} {item.reference} {item.status} since {item.since:%Y-%m-%d} "
                f"(kept {item.days} days)"
            )
        self.stdout.write(f"{len(items)} request(s) {'to erase' if dry_run else 'erased'}.")
