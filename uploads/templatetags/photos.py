from django import template

from uploads.models import PhotoAngle

register = template.Library()

# Where the angle's own name would not tell staff enough: "Other" alone reads
# as unfinished, and a photo added later belongs with the answer it came with.
_LABELS = {
    PhotoAngle.OTHER: "Other photo",
    PhotoAngle.ADDED_LATER: "Added later, with the patient's answer",
}


@register.filter
def photo_label(photo, number=None) -> str:
    """A photo's name, shown under it and as its alt text: its angle when the
    patient gave one, else its position."""
    if photo.angle:
        return _LABELS.get(photo.angle, photo.get_angle_display())
    return f"Photo {number}" if number else "Photo"
