"""Checks on uploaded files: an offer's photo must really be an image, not too big, and is
stored as MIAM re-encoded it, never as it was sent.

Pillow reads the picture (never the file name or the declared type), refuses it past the size
and pixel limits, then writes it again in its own format, without its metadata (EXIF: the place
a phone took it, the phone itself), under a random name whose extension follows the format:
whatever came after the image (HTML, a script) and whatever the name said is gone.
"""

from __future__ import annotations

import io
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
# MIAM refuses past UPLOAD_MAX_IMAGE_PIXELS from the header, before decoding; Pillow's own
# bomb guard (refusal at twice its limit) stays, further out, for a header too big to read.
Image.MAX_IMAGE_PIXELS = 4 * settings.UPLOAD_MAX_IMAGE_PIXELS


def _too_many_pixels(width: int, height: int) -> ValidationError:
    return ValidationError(
        _("L'image est trop grande (%(mp)s mégapixels, maximum %(limit)s).")
        % {"mp": round(width * height / 1_000_000, 1), "limit": round(settings.UPLOAD_MAX_IMAGE_PIXELS / 1_000_000)},
        code="image_too_many_pixels",
    )


def validate_image_upload(upload) -> str:
    """Raise ``ValidationError`` unless ``upload`` is a JPEG/PNG/WebP/GIF within the limits; its format."""
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
            width, height = image.size
            if width * height > settings.UPLOAD_MAX_IMAGE_PIXELS:
                raise _too_many_pixels(width, height)
            image.verify()
    except Image.DecompressionBombError:
        raise ValidationError(_("L'image est trop grande."), code="image_too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(_("Ce fichier n'est pas une image lisible."), code="not_an_image") from None
    finally:
        upload.seek(0)
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise ValidationError(_("Format d'image non accepté : utilisez JPEG, PNG, WebP ou GIF."), code="image_format")
    return image_format


def image_reencode(upload) -> ContentFile:
    """The checked image written again by Pillow (first frame, no metadata), named ``<random>.<ext>``."""
    image_format = validate_image_upload(upload)
    try:
        with Image.open(upload) as source:
            source.load()
            image = ImageOps.exif_transpose(source) if image_format in {"JPEG", "WEBP"} else source.copy()
    except (Image.DecompressionBombError, UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(_("Ce fichier n'est pas une image lisible."), code="not_an_image") from None
    finally:
        upload.seek(0)
    out = io.BytesIO()
    if image_format == "JPEG":
        image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    elif image_format == "GIF":
        image.save(out, format="GIF")
    elif image_format == "PNG":
        if image.mode not in {"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"}:
            image = image.convert("RGBA")
        image.save(out, format="PNG", optimize=True)
    else:
        image.save(out, format="WEBP", quality=85)
    return ContentFile(out.getvalue(), name=f"{secrets.token_hex(12)}.{EXTENSIONS[image_format]}")
