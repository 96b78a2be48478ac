from django.core.exceptions import ValidationError


class EditConflict(ValidationError):
    """Someone saved the record after the editor loaded it: refused, never last-writer-wins.

    A ValidationError, so forms show it like any other; the API answers 409 `conflict`.
    """
