"""The storage report: objects no row needs and rows whose object is missing, both ways."""

import datetime
import io
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.images import image_bytes
from tests.photos import stored_photo
from tests.staff import administrator, signed_in
from uploads.services import photo_process
from uploads.storage import private_storage

pytestmark = pytest.mark.django_db


def report(*args) -> str:
    out = io.StringIO()
    call_command("storage_report", *args, stdout=out)
    return out.getvalue()


@pytest.mark.leaves_orphans  # makes both kinds of disagreement for the report to find
def test_the_report_finds_both_kinds_and_deletes_only_old_unneeded_objects(
    storage_view, settings, time_machine
):
    photo = stored_photo(image_bytes())
    photo_process(photo_id=photo.id)
    assert "0 object(s) older than" in report() and "0 row(s) whose object" in report()

    orphan = private_storage().save(f"originals/{uuid.uuid4()}.jpg", ContentFile(b"lost"))
    display = photo.renditions.get(name="display")
    private_storage().delete(display.key)
    young = report()
    assert orphan not in young
    assert f"display of photo {photo.id}: {display.key}" in young

    time_machine.move_to(
        timezone.now()
        + datetime.timedelta(seconds=settings.PORTAL_STORAGE_ORPHAN_AFTER_SECONDS + 60)
    )
    old = report()
    assert f"  {orphan} (written" in old
    stored = storage_view.keys()
    assert orphan in stored
    assert "1 of them deleted." in report("--delete")
    # Only the orphan went: the photo's other renditions are needed.
    assert storage_view.keys() == stored - {orphan}


def test_administrators_see_the_report_in_the_admin(private_root):
    orphan = private_storage().save(f"originals/{uuid.uuid4()}.jpg", ContentFile(b"lost"))
    admin = signed_in(Client(), administrator())
    page = admin.get(reverse("admin:lifecycle_storage_report"))
    assert page.status_code == 200
    assert "1 object in the private storage" in page.content.decode()
    assert orphan not in page.content.decode()  # young: not an orphan yet
    listing = admin.get(reverse("admin:lifecycle_objectdeletion_changelist"))
    assert reverse("admin:lifecycle_storage_report") in listing.content.decode()
