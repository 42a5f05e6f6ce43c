"""After commit, each photo becomes upright, metadata-free renditions; the upload goes."""

import io
import struct

import pytest
from django.core.files.storage import FileSystemStorage
from PIL import ExifTags, Image, PngImagePlugin
from storages.backends.s3 import S3Storage

from consultations.models import ConsultationRequest
from tests.images import fixture_bytes, image_bytes, jpeg_upload
from tests.photos import assert_no_metadata, stored_photo
from tests.staff import PASSWORD, signed_in
from tests.submission import submit
from uploads.models import Photo, ProcessingStatus, Rendition
from uploads.services import RetryableStorageError, photo_process
from uploads.tasks import photo_process_task

pytestmark = pytest.mark.django_db

RED = (255, 0, 0)


def upright_marked_jpeg_stored_sideways() -> bytes:
    """A 200×300 portrait with a red band on top, stored as 300×200 with orientation 6.

    Also carries GPS coordinates, a camera make, a JPEG comment and XMP, all of
    which must be gone from every rendition.
    """
    shown = Image.new("RGB", (200, 300), (90, 120, 160))
    shown.paste(RED, (0, 0, 200, 40))
    # Orientation 6 tells a viewer to turn the stored pixels 90° clockwise, so
    # store them turned 90° anticlockwise.
    stored = shown.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "NIKON"
    exif[ExifTags.Base.Model] = "COOLPIX P6000"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 26.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.0)
    buffer = io.BytesIO()
    stored.save(
        buffer,
        "JPEG",
        quality=95,
        exif=exif,
        comment=b"Taken at 12 Harbour Street",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>',
    )
    return buffer.getvalue()


def renditions(photo: Photo) -> dict[str, Rendition]:
    return {r.name: r for r in photo.renditions.all()}


def opened(storage_view, rendition: Rendition) -> Image.Image:
    return assert_no_metadata(storage_view.read(rendition.key))


def test_the_test_image_really_carries_what_must_be_removed():
    with Image.open(io.BytesIO(upright_marked_jpeg_stored_sideways())) as image:
        exif = image.getexif()
        assert exif[ExifTags.Base.Orientation] == 6
        assert exif[ExifTags.Base.Make] == "NIKON"
        assert exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
        assert image.info["comment"] == b"Taken at 12 Harbour Street"
        assert "xmp" in image.info
        assert image.size == (300, 200)


def test_a_sideways_jpeg_loses_gps_make_comment_and_xmp_and_comes_out_upright(storage_view):
    photo = stored_photo(upright_marked_jpeg_stored_sideways())

    assert photo_process(photo_id=photo.id) == ProcessingStatus.READY

    photo.refresh_from_db()
    assert photo.status == ProcessingStatus.READY
    assert photo.original_deleted_at is not None
    found = renditions(photo)
    assert set(found) == {"review", "display", "thumbnail"}
    review = opened(storage_view, found["review"])
    assert review.format == "JPEG"
    assert review.size == (200, 300)
    assert (found["review"].width, found["review"].height) == (200, 300)
    top, bottom = review.getpixel((100, 10)), review.getpixel((100, 290))
    assert top[0] > 200 and top[1] < 60 and top[2] < 60, top
    assert bottom[0] < 150, bottom
    for name in ("display", "thumbnail"):
        assert opened(storage_view, found[name]).size == (200, 300)


def test_renditions_are_the_only_objects_left_and_their_keys_come_from_the_photo_id(
    storage_view,
):
    photo = stored_photo(image_bytes("JPEG", (3000, 2000)))
    assert storage_view.keys() == {photo.original_key}

    photo_process(photo_id=photo.id)

    expected = {f"renditions/{photo.id}/{name}.jpg" for name in ("review", "display", "thumbnail")}
    assert storage_view.keys() == expected
    found = renditions(photo)
    assert {r.key for r in found.values()} == expected
    sizes = {name: (r.width, r.height) for name, r in found.items()}
    assert sizes == {"review": (3000, 2000), "display": (2048, 1365), "thumbnail": (320, 213)}
    for rendition in found.values():
        content = storage_view.read(rendition.key)
        assert rendition.size == len(content)
        assert rendition.content_type == "image/jpeg"
        with Image.open(io.BytesIO(content)) as image:
            assert image.size == (rendition.width, rendition.height)


def test_running_twice_leaves_exactly_one_set_of_renditions(storage_view):
    photo = stored_photo(image_bytes("JPEG", (800, 600)))

    photo_process_task.delay(str(photo.id))
    first = {r.key: r.pk for r in Rendition.objects.all()}
    keys = storage_view.keys()
    photo_process_task.delay(str(photo.id))

    assert {r.key: r.pk for r in Rendition.objects.all()} == first
    assert storage_view.keys() == keys
    assert len(keys) == 3
    assert Rendition.objects.filter(photo=photo).count() == 3


def test_a_run_interrupted_after_writing_objects_is_finished_by_the_next_one(
    storage_view, monkeypatch
):
    """Objects from a crashed attempt sit at the same keys; the rerun replaces them."""
    from uploads import services

    photo = stored_photo(image_bytes("JPEG", (800, 600)))
    storage = services.private_storage()
    for name in ("review", "display"):
        storage.save(f"renditions/{photo.id}/{name}.jpg", io.BytesIO(b"half-written"))

    photo_process(photo_id=photo.id)

    assert len(storage_view.keys()) == 3
    review = renditions(photo)["review"]
    assert review.key == f"renditions/{photo.id}/review.jpg"
    assert opened(storage_view, review).size == (800, 600)


@pytest.mark.parametrize(
    ("fixture", "upright_size"),
    [
        ("DSCN0010.jpg", (640, 480)),
        ("portrait_6.jpg", (450, 600)),
        ("landscape_8.jpg", (600, 450)),
    ],
)
def test_real_camera_jpegs_lose_their_exif_and_stand_upright(storage_view, fixture, upright_size):
    content = fixture_bytes(fixture)
    with Image.open(io.BytesIO(content)) as original:
        assert len(original.getexif()) > 0
    photo = stored_photo(content)

    photo_process(photo_id=photo.id)

    found = renditions(Photo.objects.get(pk=photo.pk))
    assert opened(storage_view, found["review"]).size == upright_size
    opened(storage_view, found["display"])
    opened(storage_view, found["thumbnail"])


def test_the_gps_camera_photo_had_gps_before():
    with Image.open(io.BytesIO(fixture_bytes("DSCN0010.jpg"))) as image:
        assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_an_iphone_heic_becomes_jpeg_that_every_browser_shows(storage_view):
    photo = stored_photo(fixture_bytes("IMG_5195.HEIC"))

    photo_process(photo_id=photo.id)

    found = renditions(Photo.objects.get(pk=photo.pk))
    assert {r.content_type for r in found.values()} == {"image/jpeg"}
    assert all(r.key.endswith(".jpg") for r in found.values())
    review = opened(storage_view, found["review"])
    assert review.format == "JPEG"
    assert review.size == (photo.width, photo.height)
    assert max(opened(storage_view, found["display"]).size) == 2048
    assert max(opened(storage_view, found["thumbnail"]).size) == 320
    assert storage_view.keys() == {r.key for r in found.values()}


def test_a_png_loses_its_text_chunks_and_stays_lossless_for_review(storage_view):
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Imogen Featherstonehaugh")
    info.add_text("Comment", "left cheek, three weeks after laser", zip=True)
    photo = stored_photo(image_bytes("PNG", (640, 480), pnginfo=info))
    with Image.open(io.BytesIO(storage_view.read(photo.original_key))) as original:
        assert original.text["Author"] == "Imogen Featherstonehaugh"

    photo_process(photo_id=photo.id)

    found = renditions(Photo.objects.get(pk=photo.pk))
    assert found["review"].content_type == "image/png"
    assert found["review"].key.endswith("/review.png")
    review = opened(storage_view, found["review"])
    assert review.format == "PNG"
    assert review.text == {}
    assert found["display"].content_type == "image/jpeg"


def test_a_lossless_webp_reviews_as_png_and_a_lossy_one_as_jpeg(private_root):
    lossless = stored_photo(image_bytes("WEBP", (400, 300), lossless=True))
    lossy = stored_photo(image_bytes("WEBP", (400, 300), quality=80))

    photo_process(photo_id=lossless.id)
    photo_process(photo_id=lossy.id)

    assert renditions(lossless)["review"].content_type == "image/png"
    assert renditions(lossy)["review"].content_type == "image/jpeg"


def test_a_transparent_png_gets_a_white_background_in_its_jpeg_thumbnail(storage_view):
    image = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    image.paste((0, 0, 255, 255), (0, 0, 200, 300))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    photo = stored_photo(buffer.getvalue())

    photo_process(photo_id=photo.id)

    thumbnail = opened(storage_view, renditions(photo)["thumbnail"])
    assert thumbnail.mode == "RGB"
    assert thumbnail.getpixel((300, 150)) == (255, 255, 255)


def test_an_undecodable_upload_is_marked_failed_with_a_reason_and_kept(storage_view):
    photo = stored_photo(image_bytes("JPEG", (640, 480)))
    storage = FileSystemStorage if storage_view.kind == "local" else S3Storage
    from uploads.storage import private_storage

    assert isinstance(private_storage(), storage)
    private_storage().delete(photo.original_key)
    private_storage().save(
        photo.original_key, io.BytesIO(fixture_bytes("pillow_truncated_jpeg.jpg"))
    )

    assert photo_process(photo_id=photo.id) == ProcessingStatus.FAILED

    photo.refresh_from_db()
    assert photo.status == ProcessingStatus.FAILED
    assert "could not be decoded" in photo.failure_reason
    assert photo.renditions.count() == 0
    # Kept, so that someone can look at what went wrong.
    assert storage_view.keys() == {photo.original_key}


def test_a_missing_upload_is_marked_failed(private_root):
    from uploads.storage import private_storage

    photo = stored_photo(image_bytes("JPEG", (64, 48)))
    private_storage().delete(photo.original_key)

    photo_process(photo_id=photo.id)

    photo.refresh_from_db()
    assert (photo.status, photo.failure_reason) == (
        ProcessingStatus.FAILED,
        "The uploaded file is missing from storage.",
    )


def test_a_deleted_photo_is_skipped(private_root):
    photo = stored_photo(image_bytes("JPEG", (64, 48)))
    Photo.objects.filter(pk=photo.pk).delete()

    assert photo_process(photo_id=photo.id) == "gone"


# --- Storage failures: retried, and in the end marked failed -----------------


def failing_saves(monkeypatch, storage_view, *, failures: int | None):
    """Make the private storage's writes fail (``failures`` times, or always)."""
    backend = FileSystemStorage if storage_view.kind == "local" else S3Storage
    real_save = backend._save
    calls = []

    def save(self, name, content):
        calls.append(name)
        if failures is None or len(calls) <= failures:
            raise OSError("storage unavailable")
        return real_save(self, name, content)

    monkeypatch.setattr(backend, "_save", save)
    return calls


def apply_with_retries(monkeypatch, photo_id):
    """Run the task eagerly, each retry at once (eager mode ignores the countdown).

    Eager retries are chained with the app's propagation setting; with it on,
    the first Retry would escape instead of running the next attempt.
    """
    monkeypatch.setitem(photo_process_task.app.conf, "task_eager_propagates", False)
    return photo_process_task.apply(args=[str(photo_id)])


def test_the_service_reports_a_storage_failure_as_retryable_and_leaves_the_photo_pending(
    storage_view, monkeypatch
):
    photo = stored_photo(image_bytes("JPEG", (640, 480)))
    failing_saves(monkeypatch, storage_view, failures=None)

    with pytest.raises(RetryableStorageError):
        photo_process(photo_id=photo.id)

    photo.refresh_from_db()
    assert photo.status == ProcessingStatus.PENDING
    assert storage_view.keys() == {photo.original_key}
    assert Rendition.objects.count() == 0


def test_a_passing_storage_failure_is_retried_and_the_photo_gets_ready(storage_view, monkeypatch):
    photo = stored_photo(image_bytes("JPEG", (640, 480)))
    calls = failing_saves(monkeypatch, storage_view, failures=2)

    result = apply_with_retries(monkeypatch, photo.id)

    assert result.successful()
    photo.refresh_from_db()
    assert photo.status == ProcessingStatus.READY
    assert len(calls) == 2 + 3
    assert len(storage_view.keys()) == 3


def test_a_storage_failure_that_lasts_is_retried_with_backoff_then_marked_failed(
    storage_view, monkeypatch, settings
):
    photo = stored_photo(image_bytes("JPEG", (640, 480)))
    calls = failing_saves(monkeypatch, storage_view, failures=None)

    result = apply_with_retries(monkeypatch, photo.id)

    assert result.failed()
    attempts = photo_process_task.max_retries + 1
    assert photo_process_task.max_retries == settings.PORTAL_PHOTO_MAX_RETRIES
    # Each attempt stops at its first write.
    assert len(calls) == attempts
    photo.refresh_from_db()
    assert photo.status == ProcessingStatus.FAILED
    assert photo.failure_reason == (
        f"Storage was unavailable (OSError); gave up after {attempts} attempts."
    )
    # The upload is kept for another try; no half set of renditions is left.
    assert storage_view.keys() == {photo.original_key}


def test_the_retry_schedule_is_exponential_with_a_cap(settings):
    from django.db import InterfaceError, OperationalError

    assert photo_process_task.autoretry_for == (
        RetryableStorageError,
        OperationalError,
        InterfaceError,
    )
    assert photo_process_task.retry_backoff == settings.PORTAL_PHOTO_RETRY_BACKOFF_SECONDS
    assert photo_process_task.retry_backoff_max == settings.PORTAL_PHOTO_RETRY_BACKOFF_MAX_SECONDS
    assert photo_process_task.retry_jitter is True
    assert photo_process_task.acks_late is True
    assert photo_process_task.reject_on_worker_lost is True


def test_an_unexpected_error_marks_the_photo_failed_instead_of_leaving_it_pending(
    private_root, monkeypatch
):
    from uploads import services

    photo = stored_photo(image_bytes("JPEG", (64, 48)))

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "render_photo", broken)

    result = photo_process_task.apply(args=[str(photo.id)], throw=False)

    assert result.failed()
    photo.refresh_from_db()
    assert photo.status == ProcessingStatus.FAILED
    assert photo.failure_reason == "Processing stopped on an unexpected error (RuntimeError)."


# --- Enqueued after commit ----------------------------------------------------


def test_a_submission_queues_its_photos_only_once_committed(
    client, private_root, django_capture_on_commit_callbacks, monkeypatch
):
    from uploads.tasks import photo_process_task

    queued = []
    real_apply_async = photo_process_task.apply_async
    monkeypatch.setattr(
        photo_process_task,
        "apply_async",
        lambda args, **options: (queued.append(args[0]), real_apply_async(args, **options)),
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = submit(client, [jpeg_upload("a.jpg"), jpeg_upload("b.jpg")])
    assert response.status_code == 302
    photos = list(ConsultationRequest.objects.get().photos.all())
    assert {p.status for p in photos} == {ProcessingStatus.PENDING}
    assert queued == []

    for callback in callbacks:
        callback()

    assert sorted(queued) == sorted(str(p.id) for p in photos)
    assert {p.status for p in Photo.objects.all()} == {ProcessingStatus.READY}
    assert Rendition.objects.count() == 6


# --- Nothing waits forever; failed photos can be tried again -----------------


def test_the_sweep_queues_photos_left_pending_and_only_those(private_root, time_machine):
    import datetime

    from django.utils import timezone

    from uploads.services import photo_mark_failed, photos_requeue_pending

    time_machine.move_to(timezone.now() - datetime.timedelta(hours=1))
    forgotten = stored_photo(image_bytes("JPEG", (64, 48)))
    failed = stored_photo(image_bytes("JPEG", (64, 48)))
    photo_mark_failed(photo_id=failed.id, reason="The photo could not be decoded (OSError).")
    time_machine.move_to(timezone.now() + datetime.timedelta(hours=1))
    recent = stored_photo(image_bytes("JPEG", (64, 48)))

    # Eager here: queueing means processing at once.
    assert photos_requeue_pending(older_than=datetime.timedelta(minutes=15)) == 1

    statuses = dict(Photo.objects.values_list("pk", "status"))
    assert statuses == {
        forgotten.pk: ProcessingStatus.READY,
        failed.pk: ProcessingStatus.FAILED,
        recent.pk: ProcessingStatus.PENDING,
    }


def test_a_photo_failed_by_a_storage_outage_can_be_processed_again(
    storage_view, monkeypatch, django_capture_on_commit_callbacks
):
    from uploads.services import photo_reprocess

    photo = stored_photo(image_bytes("JPEG", (640, 480)))
    with monkeypatch.context() as patched:
        failing_saves(patched, storage_view, failures=None)
        apply_with_retries(patched, photo.id)
    photo.refresh_from_db()
    assert photo.status == ProcessingStatus.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        assert photo_reprocess(photo_id=photo.id) is True

    photo.refresh_from_db()
    assert (photo.status, photo.failure_reason) == (ProcessingStatus.READY, "")
    assert len(storage_view.keys()) == 3
    # A ready photo is not processed again.
    assert photo_reprocess(photo_id=photo.id) is False


def test_the_admin_action_processes_failed_photos_again(
    client, private_root, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import User
    from django.urls import reverse

    from uploads.services import photo_mark_failed

    failed = stored_photo(image_bytes("JPEG", (64, 48)))
    photo_mark_failed(photo_id=failed.id, reason="Storage was unavailable (OSError).")
    signed_in(client, User.objects.create_superuser("admin", password=PASSWORD))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:uploads_photo_changelist"),
            {"action": "process_again", "_selected_action": [str(failed.pk)]},
            follow=True,
        )

    assert "1 photo(s) queued for processing again." in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == ProcessingStatus.READY


def test_a_submission_that_fails_queues_nothing(
    client, private_root, storage_write_fails, django_capture_on_commit_callbacks
):
    storage_write_fails(FileSystemStorage, nth=2)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = submit(client, [jpeg_upload("a.jpg"), jpeg_upload("b.jpg")])

    assert response.status_code == 503
    assert callbacks == []
    assert Photo.objects.count() == 0


# --- Issue 8: photos from the wild come out right -------------------------------


def replace_original(photo: Photo, content: bytes) -> None:
    """Put bytes validation would refuse where a stored upload is (a file that
    changed, or a decoder that disagrees with the one that validated it)."""
    from uploads.storage import private_storage

    private_storage().delete(photo.original_key)
    private_storage().save(photo.original_key, io.BytesIO(content))


def close_to(actual, expected, tolerance: int) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def test_an_mpo_becomes_jpeg_renditions_of_its_first_picture(storage_view):
    photo = stored_photo(fixture_bytes("stereo_camera.mpo"))
    assert photo.content_type == "image/jpeg"
    assert photo.original_key.endswith(".jpg")

    assert photo_process(photo_id=photo.id) == ProcessingStatus.READY

    found = renditions(photo)
    assert {r.content_type for r in found.values()} == {"image/jpeg"}
    review = opened(storage_view, found["review"])
    assert review.size == (320, 240)
    # The left picture (green, white band on top), not the right one (purple).
    assert close_to(review.getpixel((160, 120)), (30, 140, 60), 6), review.getpixel((160, 120))
    assert min(review.getpixel((160, 10))) > 225
    assert getattr(review, "n_frames", 1) == 1


def test_an_android_avif_becomes_upright_jpeg_without_its_exif(storage_view):
    content = fixture_bytes("android_sideways.avif")
    with Image.open(io.BytesIO(content)) as original:
        assert original.getexif()[ExifTags.Base.Make] == "Google"
    photo = stored_photo(content)
    assert (photo.content_type, photo.original_key.rsplit(".", 1)[1]) == ("image/avif", "avif")

    assert photo_process(photo_id=photo.id) == ProcessingStatus.READY

    found = renditions(photo)
    assert {r.content_type for r in found.values()} == {"image/jpeg"}
    review = opened(storage_view, found["review"])
    assert review.size == (200, 300)
    top, bottom = review.getpixel((100, 10)), review.getpixel((100, 290))
    assert top[0] > 200 and top[1] < 60 and top[2] < 60, top
    assert close_to(bottom, (90, 120, 160), 8), bottom


# The four bands of the grey fixtures: 16-bit 0x1000, 0x4000, 0x8000, 0xC000.
GREY_BANDS = [(12, 16), (36, 64), (60, 128), (84, 192)]


def band_tones(image: Image.Image) -> list[int]:
    grey = image.convert("L")
    return [grey.getpixel((x, 32)) for x, _ in GREY_BANDS]


def test_a_16_bit_grey_png_keeps_its_tones_instead_of_turning_white(storage_view):
    content = fixture_bytes("grey_16bit.png")
    with Image.open(io.BytesIO(content)) as original:
        assert original.mode == "I;16"
        assert [original.getpixel((x, 32)) for x, _ in GREY_BANDS] == [
            0x1000,
            0x4000,
            0x8000,
            0xC000,
        ]
        assert original.convert("RGB").getpixel((60, 32)) == (255, 255, 255)  # the old bug
    photo = stored_photo(content)

    photo_process(photo_id=photo.id)

    found = renditions(photo)
    review = opened(storage_view, found["review"])
    assert (review.format, review.mode) == ("PNG", "L")
    assert band_tones(review) == [tone for _, tone in GREY_BANDS]
    for name in ("display", "thumbnail"):
        tones = band_tones(opened(storage_view, found[name]))
        assert close_to(tones, [tone for _, tone in GREY_BANDS], 3), (name, tones)


@pytest.mark.parametrize("fixture", ["grey_10bit.heic", "grey_12bit.heic"])
def test_a_10_or_12_bit_grey_heic_keeps_its_tones(storage_view, fixture):
    content = fixture_bytes(fixture)
    with Image.open(io.BytesIO(content)) as original:
        assert original.mode == "I;16"
    photo = stored_photo(content)

    photo_process(photo_id=photo.id)

    review = opened(storage_view, renditions(photo)["review"])
    assert review.format == "JPEG"
    tones = band_tones(review)
    assert close_to(tones, [tone for _, tone in GREY_BANDS], 3), tones


def test_a_cmyk_jpeg_is_converted_to_srgb_through_its_own_profile(storage_view):
    from PIL import ImageCms

    from tests.fixtures.make_images import CMYK_PATCHES, PATCH

    content = fixture_bytes("cmyk_press_profile.jpg")
    with Image.open(io.BytesIO(content)) as original:
        assert original.mode == "CMYK"
        embedded = ImageCms.ImageCmsProfile(io.BytesIO(original.info["icc_profile"]))
        assert embedded.profile.xcolor_space == "CMYK"
        correct = ImageCms.profileToProfile(
            original, embedded, ImageCms.createProfile("sRGB"), outputMode="RGB"
        )
        plain = original.convert("RGB")
    photo = stored_photo(content)

    photo_process(photo_id=photo.id)

    review = opened(storage_view, renditions(photo)["review"])
    assert review.mode == "RGB"
    # The profile travels with the pixels it describes: sRGB, not the CMYK one.
    profile = ImageCms.ImageCmsProfile(io.BytesIO(review.info["icc_profile"]))
    assert profile.profile.xcolor_space == "RGB "
    assert ImageCms.getProfileDescription(profile).strip() == "sRGB built-in"
    for index, patch in enumerate(CMYK_PATCHES):
        centre = (index % 4 * PATCH + PATCH // 2, index // 4 * PATCH + PATCH // 2)
        got, want = review.getpixel(centre), correct.getpixel(centre)
        assert close_to(got, want, 4), (patch, got, want)
    # 100 % cyan of that press is a light blue, not the (0, 255, 255) of a
    # conversion that ignores the profile.
    cyan = review.getpixel((PATCH // 2, PATCH // 2))
    assert close_to(cyan, (93, 189, 224), 4), cyan
    assert plain.getpixel((PATCH // 2, PATCH // 2)) == (0, 255, 255)


def test_a_heic_libheif_refuses_is_marked_failed_once_not_retried(storage_view):
    photo = stored_photo(fixture_bytes("IMG_5195.HEIC"))
    replace_original(photo, fixture_bytes("heic_security_limit.heic"))

    result = photo_process_task.apply(args=[str(photo.id)])

    assert result.successful()
    assert result.result == ProcessingStatus.FAILED
    photo.refresh_from_db()
    assert photo.status == ProcessingStatus.FAILED
    assert photo.failure_reason == "The photo could not be decoded (RuntimeError)."
    assert storage_view.keys() == {photo.original_key}


def test_processing_refuses_too_many_pixels_with_the_same_words_as_the_form(private_root):
    photo = stored_photo(fixture_bytes("IMG_5195.HEIC"))
    replace_original(photo, fixture_bytes("declares_200_megapixels.heic"))

    assert photo_process(photo_id=photo.id) == ProcessingStatus.FAILED

    photo.refresh_from_db()
    assert photo.failure_reason == (
        "The photo is too large (16,000×12,500 pixels); photos may have at most 60 megapixels."
    )


def test_html_appended_to_a_jpeg_never_reaches_a_rendition(storage_view):
    photo = stored_photo(fixture_bytes("html_appended.jpg"))

    photo_process(photo_id=photo.id)

    for rendition in renditions(photo).values():
        content = storage_view.read(rendition.key)
        assert b"<script" not in content and b"<html" not in content
        assert_no_metadata(content)


# Every mode Pillow has comes out as 8-bit L, LA, RGB or RGBA that looks right.


def odd_mode_images():
    grey, colour = 128, (200, 100, 50)
    palette = Image.new("RGB", (8, 8), colour).convert("P", palette=Image.Palette.ADAPTIVE)
    transparent_palette = palette.copy()
    transparent_palette.info["transparency"] = 0
    sixteen = Image.frombytes("I;16", (8, 8), struct.pack("<H", grey * 257) * 64)
    return [
        ("1", Image.new("1", (8, 8), 1), "L", 255),
        ("I;16", sixteen, "L", grey),
        ("I;16B", Image.frombytes("I;16B", (8, 8), struct.pack(">H", grey * 257) * 64), "L", grey),
        ("I", Image.new("I", (8, 8), grey * 257), "L", grey),
        ("F 0..1", Image.new("F", (8, 8), grey / 255), "L", grey),
        ("F 0..255", Image.new("F", (8, 8), float(grey)), "L", grey),
        ("LA", Image.new("LA", (8, 8), (grey, 255)), "LA", (grey, 255)),
        ("La", Image.new("LA", (8, 8), (grey, 255)).convert("La"), "LA", (grey, 255)),
        ("P", palette, "RGB", colour),
        ("P transparent", transparent_palette, "RGBA", (*colour, 0)),
        ("PA", Image.new("RGBA", (8, 8), (*colour, 255)).convert("PA"), "RGBA", (*colour, 255)),
        ("RGBX", Image.new("RGBX", (8, 8), (*colour, 0)), "RGB", colour),
        ("RGBa", Image.new("RGBA", (8, 8), (*colour, 255)).convert("RGBa"), "RGBA", (*colour, 255)),
        ("YCbCr", Image.new("RGB", (8, 8), colour).convert("YCbCr"), "RGB", colour),
        ("HSV", Image.new("RGB", (8, 8), colour).convert("HSV"), "RGB", colour),
        # Without a profile, Pillow's plain conversion: R = (255 - C) × (255 - K) / 255.
        ("CMYK plain", Image.new("CMYK", (8, 8), (0, 127, 191, 55)), "RGB", colour),
    ]


@pytest.mark.parametrize(
    ("source", "mode", "tone"),
    [case[1:] for case in odd_mode_images()],
    ids=[case[0] for case in odd_mode_images()],
)
def test_odd_modes_become_modes_every_step_can_take_with_the_right_tones(source, mode, tone):
    from uploads.processing import _display_pixels

    pixels, profile = _display_pixels(source, None)

    assert (pixels.mode, profile) == (mode, None)
    got = pixels.getpixel((4, 4))
    assert close_to(
        got if isinstance(got, tuple) else (got,), tone if isinstance(tone, tuple) else (tone,), 2
    ), got


def test_lab_pixels_are_converted_colorimetrically():
    from PIL import ImageCms

    from uploads.processing import _display_pixels

    srgb = Image.new("RGB", (8, 8), (200, 100, 50))
    lab = ImageCms.profileToProfile(
        srgb, ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB"), outputMode="LAB"
    )

    pixels, profile = _display_pixels(lab, None)

    assert pixels.mode == "RGB"
    assert close_to(pixels.getpixel((4, 4)), (200, 100, 50), 3), pixels.getpixel((4, 4))
    assert profile is not None


def test_a_profile_that_describes_the_pixels_is_kept_as_it_is():
    from uploads.processing import _display_pixels, srgb_profile_bytes

    image = Image.new("RGB", (8, 8), (200, 100, 50))
    pixels, profile = _display_pixels(image, srgb_profile_bytes())
    assert (pixels.mode, profile) == ("RGB", srgb_profile_bytes())


def test_grey_pixels_tagged_with_an_rgb_profile_become_srgb_pixels(storage_view):
    from uploads.processing import srgb_profile_bytes

    buffer = io.BytesIO()
    Image.new("L", (64, 48), 128).save(buffer, "JPEG", icc_profile=srgb_profile_bytes())
    photo = stored_photo(buffer.getvalue())

    photo_process(photo_id=photo.id)

    review = opened(storage_view, renditions(photo)["review"])
    assert review.mode == "RGB"
    assert review.info["icc_profile"] == srgb_profile_bytes()
    assert close_to(review.getpixel((32, 24)), (128, 128, 128), 2)


@pytest.mark.parametrize(
    "profile",
    [b"not an ICC profile at all", "cmyk"],
    ids=["unreadable", "of another colour space"],
)
def test_a_profile_that_cannot_describe_the_pixels_is_dropped(storage_view, profile):
    if profile == "cmyk":
        with Image.open(io.BytesIO(fixture_bytes("cmyk_press_profile.jpg"))) as cmyk:
            profile = cmyk.info["icc_profile"]
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 100, 50)).save(buffer, "JPEG", icc_profile=profile)
    photo = stored_photo(buffer.getvalue())

    assert photo_process(photo_id=photo.id) == ProcessingStatus.READY

    review = opened(storage_view, renditions(photo)["review"])
    assert "icc_profile" not in review.info
    assert close_to(review.getpixel((32, 24)), (200, 100, 50), 3)


def test_transparent_grey_stays_grey_in_its_jpeg_renditions(storage_view):
    image = Image.new("LA", (400, 300), (0, 0))
    image.paste((60, 255), (0, 0, 200, 300))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    photo = stored_photo(buffer.getvalue())

    photo_process(photo_id=photo.id)

    thumbnail = opened(storage_view, renditions(photo)["thumbnail"])
    assert thumbnail.mode == "L"
    assert close_to((thumbnail.getpixel((60, 120)),), (60,), 2)
    assert thumbnail.getpixel((260, 120)) == 255


def test_16_bit_grey_with_a_transparent_value_keeps_its_transparency():
    from uploads.processing import _display_pixels

    values = struct.pack("<4H", 0x8000, 0xFFFF, 0x8000, 0x1234)
    image = Image.frombytes("I;16", (4, 1), values)
    image.info["transparency"] = 0xFFFF

    pixels, _ = _display_pixels(image, None)

    assert pixels.mode == "LA"
    assert [pixels.getpixel((x, 0)) for x in range(4)] == [
        (128, 255),
        (255, 0),
        (128, 255),
        (18, 255),
    ]
