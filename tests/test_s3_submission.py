"""A full submission into S3, spoken to over HTTP (moto's server mode)."""

import urllib.error
import urllib.request

import pytest

from consultations.models import ConsultationRequest
from tests.images import jpeg_upload
from tests.submission import PATIENT, submit
from uploads.storage import private_storage

pytestmark = pytest.mark.django_db


def test_photos_land_in_the_private_bucket_encrypted_and_unreadable_without_a_signature(
    client, s3_bucket, moto_endpoint
):
    s3, bucket = s3_bucket
    response = submit(client, [jpeg_upload("Imogen Featherstonehaugh front.jpg")])
    assert response.status_code == 302

    photo = ConsultationRequest.objects.get().photos.get()
    objects = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in objects] == [photo.original_key]

    key = photo.original_key
    for part in (PATIENT["first_name"], PATIENT["last_name"], "front", "Featherstonehaugh"):
        assert part.lower() not in key.lower()

    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentLength"] == photo.size

    acl = s3.get_object_acl(Bucket=bucket, Key=key)
    assert all("AllUsers" not in str(grant["Grantee"]) for grant in acl["Grants"])

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{moto_endpoint}/{bucket}/{key}")  # noqa: S310 - local moto
    assert refused.value.code == 403


@pytest.mark.leaves_orphans  # writes an object with no row to sign a URL for it
def test_a_signed_url_is_short_lived(s3_bucket):
    from django.core.files.base import ContentFile

    key = private_storage().save("originals/probe.jpg", ContentFile(b"x"))
    url = private_storage().url(key)
    assert "X-Amz-Signature=" in url
    assert "X-Amz-Expires=60" in url


def test_an_s3_failure_midway_leaves_no_row_and_no_object(client, s3_bucket, storage_write_fails):
    from storages.backends.s3 import S3Storage

    s3, bucket = s3_bucket
    storage_write_fails(S3Storage, nth=2)
    response = submit(client, [jpeg_upload("a.jpg"), jpeg_upload("b.jpg")])

    assert response.status_code == 503
    assert ConsultationRequest.objects.count() == 0
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
