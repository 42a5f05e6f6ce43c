"""Photos stored the way a submission stores them, and a look inside the storage."""

import io
import os

from django.core.files.base import ContentFile
from PIL import ExifTags, Image

from tests.factories import ConsultationRequestFactory
from uploads.models import Photo
from uploads.services import photo_store
from uploads.validation import inspect_photo


def stored_photo(content: bytes, *, consultation=None, angle: str = "") -> Photo:
    """A pending photo whose upload is in the private storage, as after a submission."""
    consultation = consultation or ConsultationRequestFactory()
    facts = inspect_photo(io.BytesIO(content), name="upload", max_pixels=60_000_000)
    photo = photo_store(
        consultation=consultation, upload=ContentFile(content), facts=facts, written_keys=[]
    )
    if angle:
        Photo.objects.filter(pk=photo.pk).update(angle=angle)
        photo.refresh_from_db()
    return photo


class StorageView:
    """Lists every object in the private storage, on disk or in the bucket."""

    def __init__(self, kind: str, root=None, s3=None, bucket=None):
        self.kind, self.root, self.s3, self.bucket = kind, root, s3, bucket

    def keys(self) -> set[str]:
        if self.kind == "s3":
            listing = self.s3.list_objects_v2(Bucket=self.bucket)
            return {item["Key"] for item in listing.get("Contents", [])}
        found = set()
        for directory, _, files in os.walk(self.root):
            for name in files:
                found.add(os.path.relpath(os.path.join(directory, name), self.root))
        return found

    def read(self, key: str) -> bytes:
        if self.kind == "s3":
            return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        with open(os.path.join(self.root, key), "rb") as handle:
            return handle.read()


def assert_no_metadata(content: bytes) -> Image.Image:
    """Open a rendition and check that no metadata block survived."""
    image = Image.open(io.BytesIO(content))
    for key in (
        "exif",
        "xmp",
        "XML:com.adobe.xmp",
        "comment",
        "photoshop",
        "Raw profile type exif",
    ):
        assert key not in image.info, key
    assert not any(key.startswith("Raw profile") for key in image.info)
    exif = image.getexif()
    assert len(exif) == 0
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert not getattr(image, "text", {})
    if image.format == "JPEG":
        # APP0 is JFIF, APP2 the ICC profile; APP1 (EXIF/XMP), APP13 (IPTC) and
        # maker-note segments must be gone.
        assert {marker for marker, _ in image.applist} <= {"APP0", "APP2"}
        for marker, data in image.applist:
            assert marker != "APP2" or data.startswith(b"ICC_PROFILE")
    return image
