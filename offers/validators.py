"""Checks on uploaded files: an offer's photo must really be an image, and not too big."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def validate_image_upload(upload) -> None:
    """Raise ``ValidationError`` unless ``upload`` is a JPEG/PNG/WebP/GIF within the size limit.

    The content is checked with Pillow, never the file name or the declared type.
    """
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    limit = settings.UPLOAD_MAX_IMAGE_BYTES
    if size > limit:
        raise ValidationError(
            _("La photo est trop lourde (%(size)s Mo, maximum %(limit)s Mo).")
            % {"size": round(size / 1_048_576, 1), "limit": round(limit / 1_048_576, 1)},
            code="image_too_large",
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_("Ce fichier n'est pas une image lisible."), code="not_an_image") from None
    finally:
        upload.seek(0)
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise ValidationError(_("Format d'image non accepté : utilisez JPEG, PNG, WebP ou GIF."), code="image_format")
