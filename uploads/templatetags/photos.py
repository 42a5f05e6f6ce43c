from django import template

register = template.Library()


@register.filter
def photo_label(photo, number=None) -> str:
    """Alt text for a photo: its angle when the patient gave one, else its position."""
    if photo.angle:
        return f"{photo.get_angle_display()} view"
    return f"Photo {number}" if number else "Photo"
