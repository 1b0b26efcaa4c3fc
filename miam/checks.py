"""System checks of MIAM's own deployment settings (``manage.py check --deploy``)."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_secret_key_is_not_a_placeholder(app_configs=None, **kwargs):
    """Django's security.W009 lets a long placeholder through; a known or "change-me" key fails here."""
    from miam.settings import is_placeholder_secret_key

    if is_placeholder_secret_key(settings.SECRET_KEY):
        return [
            Error(
                "SECRET_KEY is a placeholder (the development key, the .env.example value or a 'change-me' text).",
                hint="Set SECRET_KEY to a long random string, e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'.",
                id="miam.E001",
            )
        ]
    return []
