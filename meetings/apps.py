from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Réunions")

    def ready(self) -> None:
        from actors import personal_data
        from meetings import personal_data as meetings_personal_data

        personal_data.register("meetings", export=meetings_personal_data.export, erase=meetings_personal_data.erase)
