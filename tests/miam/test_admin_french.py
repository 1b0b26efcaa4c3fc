"""The admin speaks French: every model and field of MIAM's apps has a verbose name of its own
(translatable), not the one Django makes from the Python name."""

from django.apps import apps
from django.utils.functional import Promise

APPS = ("products", "actors", "offers", "meetings", "initiatives", "indicators", "miam")
# Django's own fields on the user model (from AbstractUser) are translated by Django itself.
DJANGO_OWN = {"password", "last_login", "is_superuser", "groups", "user_permissions", "username", "is_staff"}


def _fields_without_a_french_name():
    missing = []
    for model in apps.get_models():
        if model._meta.app_label not in APPS:
            continue
        if not isinstance(model._meta.verbose_name, Promise):
            missing.append(f"{model._meta.label} (model)")
        for field in model._meta.get_fields():
            if field.auto_created or not getattr(field, "concrete", False) or field.name in DJANGO_OWN:
                continue
            if field.primary_key:
                continue
            if not isinstance(field.verbose_name, Promise):
                missing.append(f"{model._meta.label}.{field.name}")
    return missing


def test_every_model_and_field_has_a_translatable_french_name():
    assert _fields_without_a_french_name() == []
