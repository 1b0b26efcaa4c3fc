from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from miam import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.liveness, name="healthz"),  # liveness: the process answers
    path("readyz", health.ReadinessView.as_view(), name="readyz"),  # readiness: each dependency, 503 if one fails
    path("favicon.ico", views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("miam.api")),
    path("", include("actors.urls")),
    path("", include("offers.urls")),
    path("reunions/", include("meetings.urls")),
    path("initiatives/", include("initiatives.urls")),
    path("indicateurs/", include("indicators.urls")),
    path("conventions/", include("agreements.urls")),
    path("logistique/", include("logistics.urls")),
    path("imports/", include("imports.urls")),
]
if settings.SERVE_MEDIA:
    urlpatterns += [re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", views.media, name="media")]

handler400 = "miam.views.bad_request"
handler403 = "miam.views.permission_denied"
handler404 = "miam.views.page_not_found"
handler500 = "miam.views.server_error"
