from django.contrib.admin import AdminSite
from django.utils.translation import gettext_lazy as _


class MiamAdminSite(AdminSite):
    site_header = _("MIAM — administration")
    site_title = _("MIAM — administration")
    index_title = _("Administration du site")
