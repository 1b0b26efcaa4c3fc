"""REST API of the reference taxonomy: the product categories, read only."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets

from products.models import ProductCategory


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    label = serializers.SerializerMethodField(help_text=_("Le nom dans la langue de la requête."))

    class Meta:
        model = ProductCategory
        fields = ["id", "code", "name", "name_en", "label", "parent", "storage", "default_unit", "shelf_life_days"]
        read_only_fields = fields

    def get_label(self, obj) -> str:
        return obj.name_en if (get_language() or "fr").startswith("en") else obj.name


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The two-level product taxonomy. A filter on a family (``vegetables``) includes its
    sub-categories everywhere in the API."""

    serializer_class = CategorySerializer
    queryset = ProductCategory.objects.select_related("parent").order_by("sort_order", "name")
    lookup_field = "code"
    filter_backends: list = []  # paginated like every list (miam.pagination.PagePagination)


def register(router) -> None:
    """Add this app's viewsets to the v1 router."""
    router.register("categories", CategoryViewSet, basename="category")


urlpatterns: list = []
