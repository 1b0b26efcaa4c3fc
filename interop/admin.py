from django.contrib import admin

from interop.models import Attempt, Delivery, Subscription, WebhookEvent


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("url", "organization", "territory", "active", "failures", "last_success_at", "last_failure_at")
    list_filter = ("active",)
    raw_id_fields = ("organization", "territory", "created_by")


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    readonly_fields = ("number", "at", "status_code", "response_excerpt", "error", "duration_ms", "succeeded")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("event", "subscription", "status", "attempts", "last_status_code", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("subscription", "event")
    inlines = [AttemptInline]


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ("message_id", "type", "occurred_at")
    list_filter = ("type",)
