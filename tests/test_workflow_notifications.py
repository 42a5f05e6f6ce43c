"""Each workflow step records its notification once, to the right people, without PHI."""

import pytest
from django.core import mail

from consultations import case_changes
from notifications.models import Event, Notification
from tests.factories import ConsultationRequestFactory
from tests.images import jpeg_upload
from tests.notify_support import assert_no_phi
from tests.submission import PATIENT, submit

pytestmark = pytest.mark.django_db


def test_the_journey_notifies_each_party_once_without_phi(
    client, coordinator_user, surgeon_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, [jpeg_upload()])
    from consultations.models import ConsultationRequest

    case = ConsultationRequest.objects.get()
    Notification.objects.all().delete()
    mail.outbox.clear()

    steps = [
        (
            lambda c: case_changes.consultation_request_info(
                consultation=c,
                by=coordinator_user,
                question="A profile photo, please.",
                version=c.version,
            ),
            Event.MORE_INFO_REQUESTED,
            [PATIENT["email"]],
        ),
        (
            lambda c: case_changes.consultation_patient_reply(
                consultation=c,
                question_id=c.information_requests.get().pk,
                answer="Here it is.",
                photos=[],
            ),
            Event.PATIENT_REPLIED,
            [coordinator_user.email],
        ),
        (
            lambda c: case_changes.consultation_route(
                consultation=c,
                by=coordinator_user,
                surgeon=surgeon_user,
                note="",
                version=c.version,
            ),
            Event.CASE_ROUTED,
            [surgeon_user.email],
        ),
        (
            lambda c: case_changes.consultation_record_review(
                consultation=c,
                by=surgeon_user,
                recommendation="other",
                assessment="Fine.",
                version=c.version,
            ),
            Event.REVIEW_RECORDED,
            [coordinator_user.email],
        ),
    ]
    for step, event, recipients in steps:
        with django_capture_on_commit_callbacks(execute=True):
            case = step(case)
        rows = Notification.objects.filter(consultation=case, event=event)
        assert rows.count() == len(recipients), event
        sent = [m for m in mail.outbox if case.reference in m.subject]
        assert sorted(m.to[0] for m in sent) == sorted(recipients), event
        for message in sent:
            html = message.alternatives[0][0] if message.alternatives else ""
            assert_no_phi(message.subject, message.body, html)
            assert "A profile photo, please." not in message.body  # the question stays on the page
        mail.outbox.clear()


def test_a_refused_step_records_no_notification(coordinator_user, surgeon_user):
    case = ConsultationRequestFactory(status="closed", outcome="no_response")
    with pytest.raises(case_changes.TransitionRefused):
        case_changes.consultation_route(
            consultation=case,
            by=coordinator_user,
            surgeon=surgeon_user,
            note="",
            version=case.version,
        )
    assert not Notification.objects.exists()
