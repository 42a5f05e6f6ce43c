import datetime
import uuid

import factory
from django.utils import timezone

from consultations.models import ConsultationRequest


class ConsultationRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsultationRequest

    submission_key = factory.LazyFunction(uuid.uuid4)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Faker("email")
    phone = "+442079460958"
    preferred_contact = "email"
    date_of_birth = datetime.date(1985, 6, 1)
    country = "GB"
    region = "London"
    symptoms = "Volume loss in the cheeks after radiofrequency microneedling."
    goals = "Natural-looking cheeks."
    privacy_notice_version = "2026-11"
    consent_privacy_at = factory.LazyFunction(timezone.now)
    consent_photos_at = factory.LazyFunction(timezone.now)
    consent_contact_at = factory.LazyFunction(timezone.now)
