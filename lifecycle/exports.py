"""What a case export contains, read once for the PDF and the FHIR bundle alike."""

import base64
from dataclasses import dataclass

from consultations.models import ConsultationRequest
from consultations.selectors import case_detail_related
from uploads.models import Photo, angle_rank
from uploads.storage import private_storage


@dataclass(frozen=True)
class ExportPhoto:
    number: int
    photo: Photo
    content_type: str
    # The display rendition: upright, display size, no metadata (uploads/processing.py).
    content: bytes
    width: int
    height: int

    @property
    def data_uri(self) -> str:
        return f"data:{self.content_type};base64,{base64.b64encode(self.content).decode()}"


def export_photos(photos: list[Photo]) -> list[ExportPhoto]:
    """Ready photos in the order staff see them; one not processed (yet) has nothing to show."""
    storage = private_storage()
    shown = []
    for number, photo in enumerate(sorted(photos, key=lambda p: angle_rank(p.angle)), start=1):
        rendition = photo.display_rendition if photo.is_ready else None
        if rendition is None:
            continue
        with storage.open(rendition.key, "rb") as stored:
            content = stored.read()
        shown.append(
            ExportPhoto(
                number, photo, rendition.content_type, content, rendition.width, rendition.height
            )
        )
    return shown


def export_content(consultation: ConsultationRequest) -> dict:
    """The case page's content without internal notes (they are the team's, not the record's)."""
    related = case_detail_related(consultation)
    related.pop("notes")
    related["photos"] = export_photos(related["photos"])
    return {"case": consultation, **related}
