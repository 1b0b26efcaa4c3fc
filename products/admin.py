from django.contrib import admin

from products.models import ProductCategory


@admin.register(ProductCategory)
class ProductCategoryAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "parent",
        "storage",
        "default_unit",
        "shelf_life_days",
        "kg_per_piece",
        "kg_per_litre",
    )
    list_filter = ("storage", "parent")
    search_fields = ("name", "name_en", "code")
    fieldsets = (
        (None, {"fields": ("code", "name", "name_en", "parent", "storage", "shelf_life_days", "sort_order")}),
        (
            "Unités",
            {"fields": ("default_unit", "allowed_units", "kg_per_piece", "kg_per_litre", "units_source")},
        ),
    )
