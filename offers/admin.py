from django.contrib import admin

from miam.admin_site import TombstonesBatchedAdmin
from offers import models


@admin.register(models.Offer)
class OfferAdmin(TombstonesBatchedAdmin, admin.ModelAdmin):
    list_display = (
        "product_name",
        "organization",
        "category",
        "quantity",
        "quantity_reserved",
        "unit",
        "pricing",
        "status",
        "window_end",
    )
    list_filter = ("status", "pricing", "storage", "recurrence", "category__parent")
    search_fields = ("product_name", "organization__name", "lot_number")
    raw_id_fields = ("organization", "logistics_partner", "created_by")
    readonly_fields = ("quantity_reserved",)
    date_hierarchy = "window_start"


@admin.register(models.Need)
class NeedAdmin(TombstonesBatchedAdmin, admin.ModelAdmin):
    list_display = ("title", "organization", "quantity", "quantity_covered", "unit", "urgency", "status", "window_end")
    list_filter = ("status", "urgency", "accepted_pricing", "frequency")
    search_fields = ("title", "organization__name")
    raw_id_fields = ("organization", "created_by")
    filter_horizontal = ("categories",)
    readonly_fields = ("quantity_covered",)


@admin.register(models.Match)
class MatchAdmin(TombstonesBatchedAdmin, admin.ModelAdmin):
    list_display = ("offer", "need", "quantity", "score", "distance_km", "mode", "status", "origin")
    list_filter = ("status", "mode", "origin")
    search_fields = ("offer__product_name", "need__title", "offer__organization__name", "need__organization__name")
    raw_id_fields = ("offer", "need", "run", "proposed_by")


@admin.register(models.Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "match",
        "delivered_on",
        "quantity_received",
        "unit",
        "quantity_kg",
        "amount_paid_eur",
        "distance_km",
    )
    list_filter = ("mode",)
    search_fields = ("match__offer__product_name", "match__need__organization__name")
    raw_id_fields = ("match", "received_by")
    date_hierarchy = "delivered_on"


@admin.register(models.MatchingRun)
class MatchingRunAdmin(admin.ModelAdmin):
    list_display = ("territory", "trigger", "status", "progress", "created_at", "duration_s")
    list_filter = ("status", "trigger", "territory")
    readonly_fields = ("counts", "error")
