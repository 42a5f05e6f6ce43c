"""A valid patient submission, as the form posts it, for tests to vary."""

import uuid

from django.urls import reverse

PATIENT = {
    "first_name": "Imogen",
    "last_name": "Featherstonehaugh",
    "email": "imogen.patient@example.org",
    "phone": "+44 20 7946 0958",
    "symptoms": "Hollowing under both eyes three weeks after a CO2 laser resurfacing session.",
    "goals": "Restore the volume in my under-eye area without looking overdone.",
}
# A UK mobile, for patients who choose text messages (PATIENT's phone is a
# landline). libphonenumber's own example: Ofcom's 07700 900xxx drama range is
# not a valid number to it, and the form refuses it like any invalid number.
MOBILE = "+44 7400 123456"


def form_data(**overrides) -> dict:
    data = {
        "submission_key": str(uuid.uuid4()),
        "website": "",
        "first_name": PATIENT["first_name"],
        "last_name": PATIENT["last_name"],
        "email": PATIENT["email"],
        "phone": PATIENT["phone"],
        "preferred_contact": "email",
        "date_of_birth": "1988-04-12",
        "country": "GB",
        "region": "Greater London",
        "concerns": ["under_eyes", "cheeks"],
        "treatment_laser_resurfacing": "on",
        "treatment_laser_resurfacing_date": "2026-10",
        "treatment_carbon_peel": "on",
        "treatment_carbon_peel_date": "",
        "symptoms": PATIENT["symptoms"],
        "goals": PATIENT["goals"],
        "consent_privacy": "on",
        "consent_photos": "on",
        "consent_contact": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def submit(client, photos, **overrides):
    data = form_data(**overrides)
    data["photos"] = photos
    return client.post(reverse("consultations:request_new"), data)
