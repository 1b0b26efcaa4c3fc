from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MiamConfig(AppConfig):
    """The project package as an app: it holds the outbox of tasks (``miam.dispatch``)."""

    name = "miam"
    verbose_name = _("Infrastructure")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from miam import checks  # noqa: F401 (registers the deploy checks)
