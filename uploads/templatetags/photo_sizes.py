"""File sizes as patients read them: decimal units, as phones and computers show them.

``{% load photo_sizes %}`` then ``{{ max_photo_bytes|photo_size }}`` gives
"20 MB" for 20000000. Every size shown to a patient (field help, form errors,
the "too large" page) goes through ``photo_size`` so that they all agree.
Django's ``filesizeformat`` is not used: it divides by 1024 but says "MB".
"""

from django import template

register = template.Library()

_UNITS = ((1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "KB"))


@register.filter
def photo_size(num_bytes, round_up: bool = False) -> str:
    """20000000 -> "20 MB", 2500000 -> "2.5 MB", 48800 -> "48 KB", 1 -> "1 byte".

    One decimal at most, none when it is 0; a non-breaking space before the
    unit. A limit is rounded down, so that a file shown as within it is.
    ``round_up`` is for the size of a file refused as too large, so that it
    never reads the same as the limit it exceeds.
    """
    num_bytes = int(num_bytes)
    for factor, unit in _UNITS:
        if num_bytes >= factor:
            # In tenths of the unit (whole kilobytes), in integers: no float rounding.
            step = factor // 10 if unit != "KB" else factor
            tenths = -(-num_bytes // step) if round_up else num_bytes // step
            if unit == "KB":
                return f"{tenths}\xa0{unit}"
            whole, tenth = divmod(tenths, 10)
            number = f"{whole}.{tenth}" if tenth else f"{whole}"
            return f"{number}\xa0{unit}"
    return f"{num_bytes}\xa0byte" if num_bytes == 1 else f"{num_bytes}\xa0bytes"
