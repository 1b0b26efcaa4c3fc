"""Admin of agreements: for reading and support. Writes go through the pages and the API, whose
services keep the rules (signatures, reservations, funding under locks, frozen receipts)."""

from django.contrib import admin

from agreements import models


class PartyInline(admin.TabularInline):
    model = models.AgreementParty
    extra = 0
    raw_id_fields = ("structure", "signed_by")
    readonly_fields = ("signed_at", "signed_by")


@admin.register(models.SupplyAgreement)
class SupplyAgreementAdmin(admin.ModelAdmin):
    list_display = ("product_name", "farm", "status", "start_date", "end_date", "fair_price_per_unit")
    list_filter = ("status",)
    search_fields = ("product_name", "farm__name")
    raw_id_fields = ("farm", "carrier", "transport_payer", "funding_line", "offer", "farm_signed_by", "created_by")
    readonly_fields = ("status", "farm_signed_at", "farm_signed_by", "offer", "ended_on")
    inlines = [PartyInline]


@admin.register(models.Funder)
class FunderAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "territory")
    list_filter = ("kind",)
    search_fields = ("name",)


@admin.register(models.FundingLine)
class FundingLineAdmin(admin.ModelAdmin):
    list_display = ("name", "funder", "amount_eur", "consumed_eur", "period_start", "period_end")
    readonly_fields = ("consumed_eur", "alerted_at")
    filter_horizontal = ("categories",)
    raw_id_fields = ("structures",)


@admin.register(models.DonationReceipt)
class DonationReceiptAdmin(admin.ModelAdmin):
    list_display = ("number", "structure", "donor", "total_value_eur", "status", "issued_at")
    list_filter = ("status", "year")

    def has_change_permission(self, request, obj=None):
        return False  # an issued receipt is never changed: cancel and reissue on its page


@admin.register(models.DemandForecast)
class DemandForecastAdmin(admin.ModelAdmin):
    list_display = ("structure", "category", "month", "quantity_kg")
    raw_id_fields = ("structure",)
