"""The photo field as a patient meets it: what it says, and what it says about each file."""

import html

import pytest
from django import forms
from django.template import Context, Template

from consultations.forms import ConsultationRequestForm, MultiplePhotoField, PatientReplyForm
from tests.images import fixture_bytes, image_bytes, jpeg_upload, upload
from tests.submission import submit
from uploads.models import Photo
from uploads.templatetags.photo_sizes import photo_size


def refusals(files, **field_options) -> list[str]:
    field = MultiplePhotoField(**field_options)
    with pytest.raises(forms.ValidationError) as refused:
        field.clean(files)
    return refused.value.messages


def test_an_empty_file_is_refused_by_name():
    assert refusals([upload("IMG_0001.jpg", b"")]) == [
        "“IMG_0001.jpg” is empty (0 bytes), so there is no photo in it. Please choose the "
        "photo again, or export it from your photo app once more."
    ]


@pytest.mark.django_db
def test_an_empty_file_posted_with_the_form_is_named_on_the_page(client, private_root):
    response = submit(client, [upload("IMG_0001.jpg", b"")])

    page = html.unescape(response.content.decode())
    assert "“IMG_0001.jpg” is empty (0 bytes)" in page
    assert "The submitted file is empty." not in page
    assert Photo.objects.count() == 0


def test_every_problem_is_reported_for_its_own_file_at_once():
    messages = refusals(
        [
            jpeg_upload("fine.jpg"),
            upload("empty.heic", b""),
            upload("cut.jpg", fixture_bytes("pillow_truncated_jpeg.jpg")),
            upload("huge.heic", fixture_bytes("declares_200_megapixels.heic")),
        ]
    )

    assert [message.split("”")[0] for message in messages] == [
        "“empty.heic",
        "“cut.jpg",
        "“huge.heic",
    ]


def test_every_per_file_message_names_the_file():
    for name in ("empty.jpg", "html_appended.jpg", "heic_security_limit.heic"):
        content = fixture_bytes(name)
        try:
            MultiplePhotoField().clean([upload(name, content)])
        except forms.ValidationError as refused:
            assert all(message.startswith(f"“{name}” ") for message in refused.messages)


def test_a_file_over_the_size_limit_says_both_sizes_in_the_same_units(settings):
    settings.PORTAL_MAX_PHOTO_BYTES = 20_000_000
    big = upload("IMG_2001.jpg", image_bytes("JPEG", (64, 48)) + b"\0" * 20_050_000)

    assert refusals([big]) == ["“IMG_2001.jpg” is 20.1\xa0MB; each photo may be at most 20\xa0MB."]


@pytest.mark.parametrize(
    ("num_bytes", "text"),
    [
        (20_000_000, "20\xa0MB"),
        (20 * 1024 * 1024, "20.9\xa0MB"),  # a limit reads as what passes it
        (2_500_000, "2.5\xa0MB"),
        (48_800, "48\xa0KB"),
        (999, "999\xa0bytes"),
        (1, "1\xa0byte"),
    ],
)
def test_sizes_are_decimal_as_phones_and_computers_show_them(num_bytes, text):
    assert photo_size(num_bytes) == text


def test_a_size_over_a_limit_never_reads_the_same_as_the_limit():
    for limit in (20_000_000, 20 * 1024 * 1024, 50_000):
        for excess in (1, 999, 50_000):
            assert photo_size(limit + excess, round_up=True) != photo_size(limit)


def test_templates_show_sizes_with_the_same_function():
    rendered = Template("{% load photo_sizes %}at most {{ limit|photo_size }} each").render(
        Context({"limit": 20_000_000})
    )
    assert rendered == "at most 20\xa0MB each"


def test_the_help_text_says_the_configured_limits_in_plain_words(settings):
    settings.PORTAL_MAX_PHOTOS = 8
    settings.PORTAL_MAX_PHOTO_BYTES = 20_000_000

    assert str(ConsultationRequestForm().fields["photos"].help_text) == (
        "Add 1 to 8 photos: JPEG, PNG, WebP, HEIC or AVIF, up to 20\xa0MB each."
    )
    assert str(PatientReplyForm().fields["photos"].help_text) == (
        "You can add up to 8 photos: JPEG, PNG, WebP, HEIC or AVIF, up to 20\xa0MB each."
    )

    settings.PORTAL_MAX_PHOTOS = 5
    assert str(ConsultationRequestForm().fields["photos"].help_text).startswith(
        "Add 1 to 5 photos:"
    )


def test_the_file_picker_offers_every_format_we_take():
    accept = ConsultationRequestForm().fields["photos"].widget.attrs["accept"].split(",")
    for kind in ("image/jpeg", "image/png", "image/webp", "image/heic", "image/avif"):
        assert kind in accept
    for extension in (".heic", ".heif", ".avif", ".mpo"):
        assert extension in accept


@pytest.mark.django_db
def test_an_mpo_and_an_avif_are_accepted_with_the_form(client, private_root):
    response = submit(
        client,
        [
            upload("DSCF0001.MPO", fixture_bytes("stereo_camera.mpo"), "image/mpo"),
            upload("PXL_0001.avif", fixture_bytes("android_sideways.avif"), "image/avif"),
        ],
    )

    assert response.status_code == 302
    stored = sorted(Photo.objects.values_list("content_type", "original_key"))
    assert [(kind, key.rsplit(".", 1)[1]) for kind, key in stored] == [
        ("image/avif", "avif"),
        ("image/jpeg", "jpg"),
    ]
