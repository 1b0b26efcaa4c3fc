from django.contrib import admin

from indicators.models import Factor


@admin.register(Factor)
class FactorAdmin(admin.ModelAdmin):
    list_display = ("code", "value", "unit", "source_title", "source_year", "valid_from")
    list_filter = ("code",)
    search_fields = ("source_title", "note")
    ordering = ("code", "-valid_from")
