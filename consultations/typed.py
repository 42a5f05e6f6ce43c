"""What a person typed into a refused post, to show the form again with it."""

from django import forms
from django.http import HttpRequest


def typed_values(form_class: type[forms.BaseForm], request: HttpRequest) -> dict:
    """What the person typed and chose, read the way each widget reads it; no files."""
    return {
        name: field.widget.value_from_datadict(request.POST, {}, name)
        for name, field in form_class().fields.items()
        if not isinstance(field, forms.FileField) and name in request.POST
    }
