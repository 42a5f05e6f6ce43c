"""Every real file we hold goes through the form and the renditions without a server error.

The files in tests/fixtures/images (and, when it is there, the shared corpus
beside the repository) are each posted to the photo field; those it accepts
are rendered. The only outcomes allowed are the designed ones: accepted and
rendered, or refused with a message naming the file. To sweep more files
(a folder of phone photos, a decoder's test images), name their folders in
PORTAL_TEST_IMAGE_CORPUS, separated like PATH.
"""

import io
import os
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.template.defaultfilters import truncatechars

from consultations.forms import MultiplePhotoField
from tests.images import FIXTURES, upload
from uploads.processing import PhotoUndecodable, render_photo

# ../shared/corpus: the steering repository's real-world images, when present.
SHARED_CORPUS = Path(settings.BASE_DIR).parent / "shared" / "corpus"

# The fixtures made to be refused; every other one must be accepted and rendered.
REFUSED = {
    "empty.jpg",
    "declares_10_gigapixels.png",
    "declares_200_megapixels.heic",
    "heic_security_limit.heic",
    "pillow_decompression_bomb.gif",
    "pillow_png_decompression_dos.png",
    "pillow_truncated_jpeg.jpg",
}


def corpus() -> list[Path]:
    files = sorted(FIXTURES.iterdir())
    if SHARED_CORPUS.is_dir():
        files += sorted(SHARED_CORPUS.iterdir())
    for folder in filter(None, os.environ.get("PORTAL_TEST_IMAGE_CORPUS", "").split(os.pathsep)):
        files += sorted(Path(folder).iterdir())
    return [path for path in files if path.is_file() and path.suffix.lower() != ".md"]


def outcome(path: Path) -> str:
    """ "rendered" or "refused"; anything else raises."""
    field = MultiplePhotoField()
    try:
        (accepted,) = field.clean([upload(path.name, path.read_bytes())])
    except forms.ValidationError as refused:
        assert refused.messages
        shown = truncatechars(path.name, 60)  # as the form shows a long name
        for message in refused.messages:
            assert message.startswith(f"“{shown}” "), message
        return "refused"
    assert accepted.facts.width * accepted.facts.height <= settings.PORTAL_MAX_PHOTO_PIXELS
    try:
        rendered = render_photo(
            io.BytesIO(path.read_bytes()), max_pixels=settings.PORTAL_MAX_PHOTO_PIXELS
        )
    except PhotoUndecodable:
        return "undecodable"
    assert [image.name for image in rendered] == ["review", "display", "thumbnail"]
    for image in rendered:
        assert image.content_type in ("image/jpeg", "image/png") and image.content
    return "rendered"


@pytest.mark.parametrize("path", corpus(), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_a_real_file_is_rendered_or_refused_by_name_and_nothing_else(path):
    result = outcome(path)

    if path.parent == FIXTURES:
        assert result == ("refused" if path.name in REFUSED else "rendered")
    else:
        assert result in ("rendered", "refused")


def test_every_refused_fixture_is_there():
    assert {path.name for path in corpus()} >= REFUSED
