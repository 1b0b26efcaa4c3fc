from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from actors import models
from miam.admin_site import TombstonesBatchedAdmin


@admin.register(models.Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(models.Departement)
class DepartementAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region")
    list_filter = ("region",)
    search_fields = ("code", "name")


@admin.register(models.EPCI)
class EPCIAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind")
    list_filter = ("kind",)
    search_fields = ("code", "name")


@admin.register(models.Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ("insee_code", "name", "postal_codes", "population", "departement", "epci")
    list_filter = ("departement__region", "departement")
    search_fields = ("insee_code", "name", "search_name", "postal_codes")
    raw_id_fields = ("epci",)
    exclude = ("outline",)


@admin.register(models.Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "recognized_year", "population", "has_social_justice_axis")
    list_filter = ("level", "has_social_justice_axis")
    search_fields = ("name", "epci_codes")
    prepopulated_fields = {"slug": ("name",)}
    raw_id_fields = ("carrier",)
    filter_horizontal = ("communes",)
    readonly_fields = ("population",)


class FarmProfileInline(admin.StackedInline):
    model = models.FarmProfile
    filter_horizontal = ("productions",)


class StructureProfileInline(admin.StackedInline):
    model = models.StructureProfile


class MembershipInline(admin.TabularInline):
    model = models.Membership
    raw_id_fields = ("user",)
    extra = 0


@admin.register(models.Organization)
class OrganizationAdmin(TombstonesBatchedAdmin, admin.ModelAdmin):
    list_display = ("name", "kind", "commune", "location_precision", "is_active")
    list_filter = ("kind", "is_active", "commune__departement")
    search_fields = ("name", "siret", "commune__name", "email")
    raw_id_fields = ("commune",)
    inlines = (FarmProfileInline, StructureProfileInline, MembershipInline)


@admin.register(models.User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identité"), {"fields": ("first_name", "last_name", "phone", "language")}),
        (_("Notifications"), {"fields": ("wants_email_notifications", "wants_daily_digest")}),
        (_("Droits"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organization", "role")
    list_filter = ("role",)
    search_fields = ("user__email", "organization__name")
    raw_id_fields = ("user", "organization")


@admin.register(models.TerritoryRole)
class TerritoryRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "territory", "role")
    list_filter = ("role", "territory")
    search_fields = ("user__email", "territory__name")
    raw_id_fields = ("user",)


@admin.register(models.Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "organization", "territory", "expires_at", "accepted_at")
    list_filter = ("accepted_at",)
    search_fields = ("email", "organization__name")
    raw_id_fields = ("organization", "invited_by", "accepted_by")
    readonly_fields = ("token_hash",)


@admin.register(models.ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "organization", "territory", "can_write", "last_used_at", "revoked_at")
    list_filter = ("can_write", "revoked_at")
    search_fields = ("name", "prefix", "organization__name")
    raw_id_fields = ("organization", "created_by")
    readonly_fields = ("prefix", "key_hash", "last_used_at", "created_at")
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if not change:
            raw, obj.prefix, obj.key_hash = models.ApiKey.generate()
            obj.created_by = request.user
            self.message_user(request, _("Clé créée, notez-la maintenant (elle ne sera plus affichée) : %s") % raw)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Révoquer les clés sélectionnées"))
    def revoke(self, request, queryset):
        from django.utils import timezone

        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


@admin.register(models.Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "title", "created_at", "read_at", "emailed_at")
    list_filter = ("kind",)
    search_fields = ("user__email", "title")
    raw_id_fields = ("user",)
