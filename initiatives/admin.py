from django.contrib import admin

from initiatives.models import (
    ActionIndicator,
    ActionPlan,
    ActionStep,
    IndicatorValue,
    Initiative,
    KeyFigure,
    PlannedAction,
)


class KeyFigureInline(admin.TabularInline):
    model = KeyFigure
    extra = 0


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "type", "departement_code", "region", "status", "is_published"]
    list_filter = ["domain", "type", "status", "scope", "is_published", "region"]
    search_fields = ["name", "slug", "carrier_name", "search_text"]
    readonly_fields = ["slug", "search_head", "search_summary", "search_text", "latitude", "longitude"]
    raw_id_fields = ["carrier_organization", "commune", "departement"]
    inlines = [KeyFigureInline]

    def save_model(self, request, obj, form, change):
        obj.refresh_search_fields()
        super().save_model(request, obj, form, change)


class PlannedActionInline(admin.TabularInline):
    model = PlannedAction
    extra = 0
    fields = ["title", "state", "priority", "status"]
    readonly_fields = ["state", "priority"]
    show_change_link = True


@admin.register(ActionPlan)
class ActionPlanAdmin(admin.ModelAdmin):
    list_display = ["title", "territory", "status"]
    inlines = [PlannedActionInline]


class ActionStepInline(admin.TabularInline):
    model = ActionStep
    extra = 0


class ActionIndicatorInline(admin.TabularInline):
    model = ActionIndicator
    extra = 0


@admin.register(PlannedAction)
class PlannedActionAdmin(admin.ModelAdmin):
    list_display = ["title", "plan", "state", "priority", "status"]
    list_filter = ["state", "status", "plan"]
    raw_id_fields = ["initiative", "owner_organization", "owner_person", "partner_organizations"]
    readonly_fields = ["state", "priority"]
    inlines = [ActionStepInline, ActionIndicatorInline]


@admin.register(IndicatorValue)
class IndicatorValueAdmin(admin.ModelAdmin):
    list_display = ["indicator", "period_label", "value"]
    raw_id_fields = ["indicator"]
