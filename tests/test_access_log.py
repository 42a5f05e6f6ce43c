"""The access log: append-only in the database itself, kept when a case goes,
shown on the case page, exported by administrators; admin changes recorded."""

import csv
import io
import logging

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse
from django.utils import timezone

from consultations import case_changes
from consultations.models import AccessRecord, ConsultationRequest
from tests.factories import ConsultationRequestFactory
from tests.images import image_bytes
from tests.photos import stored_photo
from tests.staff import administrator, coordinator, signed_in, surgeon
from uploads.services import photo_mark_failed

pytestmark = pytest.mark.django_db


def a_record(user) -> AccessRecord:
    case = ConsultationRequestFactory()
    return AccessRecord.objects.create(
        user=user, outcome="shown", view="staff:case_detail", status_code=200, case_id=case.pk
    )


# --- Append-only below the application ------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE consultations_accessrecord SET status_code = 200, view = 'x'",
        "DELETE FROM consultations_accessrecord",
        "TRUNCATE consultations_accessrecord",
        "TRUNCATE consultations_accessrecord CASCADE",
    ],
)
def test_the_database_refuses_to_change_or_remove_access_rows(statement):
    record = a_record(coordinator())
    refused = pytest.raises(DatabaseError, match="append-only|Cannot update or delete")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        # Check the insert's deferred foreign keys now: TRUNCATE refuses
        # to run with checks pending, which would hide what is tested.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement)
    record.refresh_from_db()
    assert record.view == "staff:case_detail"


def test_the_orm_cannot_edit_or_delete_either():
    record = a_record(coordinator())
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessRecord.objects.filter(pk=record.pk).update(status_code=500)
    with pytest.raises(DatabaseError), transaction.atomic():
        record.delete()
    assert AccessRecord.objects.get(pk=record.pk).status_code == 200


def test_deleting_a_case_keeps_its_access_history(client, private_root):
    reader = coordinator()
    case = ConsultationRequestFactory()
    photo = stored_photo(image_bytes("JPEG", (64, 48)), consultation=case)
    photo_mark_failed(photo_id=photo.id, reason="Could not be decoded.")
    signed_in(client, reader)
    client.get(reverse("staff:case_detail", args=[case.reference]))
    client.get(reverse("uploads:photo_rendition", args=[photo.id, "display"]))

    ConsultationRequest.objects.filter(pk=case.pk).delete()

    rows = AccessRecord.objects.filter(case_id=case.pk)
    assert rows.count() == 2
    assert {row.reference for row in rows} == {case.reference}
    assert rows.filter(photo_id=photo.id).exists()


# --- Every re-rendered case page is recorded once -------------------------------------


def test_a_case_page_refused_as_stale_409_is_recorded_once(client):
    reader = coordinator()
    case = ConsultationRequestFactory()
    signed_in(client, reader)
    url = reverse("staff:case_action", args=[case.reference, "start_triage"])

    response = client.post(url, {"version": case.version + 5})

    assert response.status_code == 409
    assert case.first_name in response.content.decode()
    record = AccessRecord.objects.get()
    assert (record.status_code, record.view, record.case_id) == (409, "staff:case_action", case.pk)


def test_a_refusal_is_logged_with_the_user_id_and_recorded(client, caplog):
    outsider = surgeon("outsider")
    case = ConsultationRequestFactory(last_name="Quillfeather")
    signed_in(client, outsider)

    with caplog.at_level(logging.INFO, logger="consultations.access"):
        response = client.get(reverse("staff:case_detail", args=[case.reference]))

    assert response.status_code == 404
    record = AccessRecord.objects.get()
    assert (record.outcome, record.user, record.case_id) == ("denied", outsider, None)
    assert f"user={outsider.pk}" in caplog.text and "denied" in caplog.text
    assert "Quillfeather" not in caplog.text


# --- The case page shows which coordinators opened it ---------------------------------


def test_the_case_page_lists_coordinators_who_opened_it(client):
    casey = coordinator("casey")
    casey.first_name, casey.last_name = "Casey", "Reader"
    casey.save()
    routed = surgeon("routed")
    case = ConsultationRequestFactory()
    case = case_changes.consultation_route(
        consultation=case,
        by=casey,
        surgeon=routed,
        note="",
        version=case.version,
    )
    url = reverse("staff:case_detail", args=[case.reference])
    signed_in(client, casey)
    client.get(url)
    client.get(url)
    signed_in(client, routed)
    client.get(url)  # a surgeon's look is recorded, not listed as a coordinator's

    html = client.get(url).content.decode()

    assert "Coordinators who opened this case" in html
    assert "Casey Reader: last" in html and "(2 times)" in html
    assert "Routed" not in html.split("Coordinators who opened this case")[1]


# --- Export for administrators ------------------------------------------------------


def export_url(start, end):
    return reverse("admin:consultations_accessrecord_export") + f"?start={start}&end={end}"


def test_an_administrator_exports_a_date_range_as_csv_and_the_export_is_recorded(client):
    reader = coordinator()
    record = a_record(reader)
    admin = administrator()
    signed_in(client, admin)
    today = timezone.localdate()

    response = client.get(export_url(today, today))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(row["user_id"], row["case_id"]) for row in rows] == [
        (str(reader.pk), str(record.case_id))
    ]
    export = AccessRecord.objects.latest("id")
    assert (export.user, export.view) == (admin, "admin:consultations_accessrecord_export")


def test_the_export_leaves_out_other_days_and_refuses_a_backwards_range(client):
    a_record(coordinator())
    signed_in(client, administrator())
    yesterday = timezone.localdate() - timezone.timedelta(days=1)

    response = client.get(export_url(yesterday, yesterday))
    assert list(csv.reader(io.StringIO(response.content.decode())))[1:] == []
    assert client.get(export_url(timezone.localdate(), yesterday)).status_code == 400


@pytest.mark.parametrize("who", [coordinator, surgeon])
def test_only_administrators_export(client, who):
    user = who()
    signed_in(client, user)
    today = timezone.localdate()
    assert client.get(export_url(today, today)).status_code == 403
    assert AccessRecord.objects.get().outcome == "denied"


# --- Admin changes are recorded, and the record cannot be edited ---------------------


def test_an_admin_action_writes_a_log_entry_which_the_admin_cannot_edit(client, private_root):
    failed = stored_photo(image_bytes("JPEG", (64, 48)))
    photo_mark_failed(photo_id=failed.id, reason="Storage was unavailable (OSError).")
    admin = administrator()
    signed_in(client, admin)

    client.post(
        reverse("admin:uploads_photo_changelist"),
        {"action": "process_again", "_selected_action": [str(failed.pk)]},
    )

    entry = LogEntry.objects.get()
    assert (entry.user, entry.object_id) == (admin, str(failed.pk))
    change = reverse("admin:admin_logentry_change", args=[entry.pk])
    assert client.get(reverse("admin:admin_logentry_changelist")).status_code == 200
    client.post(change, {"change_message": "nothing happened"})
    assert client.post(reverse("admin:admin_logentry_delete", args=[entry.pk])).status_code == 403
    entry.refresh_from_db()
    assert entry.change_message != "nothing happened"


def test_a_change_through_an_admin_form_writes_a_log_entry(client):
    admin = administrator()
    signed_in(client, admin)

    response = client.post(reverse("admin:auth_group_add"), {"name": "front desk"})

    assert response.status_code == 302
    entry = LogEntry.objects.get()
    assert (entry.user, entry.object_repr, entry.is_addition()) == (admin, "front desk", True)


def test_the_admin_searches_by_reference_only(client):
    case = ConsultationRequestFactory(last_name="Quillfeather")
    ConsultationRequestFactory()
    signed_in(client, administrator())
    url = reverse("admin:consultations_consultationrequest_changelist")

    by_name = client.get(url, {"q": "Quillfeather"}).content.decode()
    by_reference = client.get(url, {"q": case.reference}).content.decode()

    assert "0 results" in by_name
    assert "1 result" in by_reference


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_leaves_access_rows_that_the_test_flush_empties():
    # The flush after this test TRUNCATEs the table through pgtrigger.ignore
    # (tests/conftest.py); without it, this test's teardown would fail.
    a_record(coordinator())
    assert AccessRecord.objects.count() == 1
