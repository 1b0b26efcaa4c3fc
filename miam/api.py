"""The v1 API: one router, each app registering its own viewsets and extra paths."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from actors import api as actors_api
from agreements import api as agreements_api
from indicators import api as indicators_api
from initiatives import api as initiatives_api
from interop import api as interop_api
from logistics import api as logistics_api
from meetings import api as meetings_api
from offers import api as offers_api
from products import api as products_api

APPS = (
    products_api,
    actors_api,
    offers_api,
    meetings_api,
    initiatives_api,
    indicators_api,
    interop_api,
    agreements_api,
    logistics_api,
)

router = DefaultRouter()
for module in APPS:
    module.register(router)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    *[p for module in APPS for p in module.urlpatterns],
    path("", include(router.urls)),
]
