from django.contrib import admin

from logistics.models import Hub, OpeningHours, Round, RoundPlan, Stop, Vehicle


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "capacity_kg", "is_refrigerated", "is_active")
    list_filter = ("is_refrigerated", "is_active")
    search_fields = ("name", "organization__name")
    raw_id_fields = ("organization", "hub")
    filter_horizontal = ("drivers",)


@admin.register(Hub)
class HubAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "commune", "chilled_capacity_kg", "frozen_capacity_kg", "dry_capacity_kg")
    search_fields = ("name", "organization__name")
    raw_id_fields = ("organization", "commune")


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ("organization", "weekday", "opens_at", "closes_at")
    raw_id_fields = ("organization",)


class StopInline(admin.TabularInline):
    model = Stop
    extra = 0
    raw_id_fields = ("organization", "hub", "match")


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ("day", "territory", "vehicle", "driver", "status", "distance_km", "duration_min")
    list_filter = ("status", "territory")
    raw_id_fields = ("plan", "vehicle", "driver", "hub")
    inlines = [StopInline]


@admin.register(RoundPlan)
class RoundPlanAdmin(admin.ModelAdmin):
    list_display = ("day", "territory", "status", "progress", "created_at")
    list_filter = ("status",)
