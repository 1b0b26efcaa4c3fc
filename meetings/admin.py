from django.contrib import admin

from meetings.models import (
    Action,
    ActionNote,
    CalendarToken,
    Decision,
    DiagnosticInterview,
    Meeting,
    MeetingInvitation,
    Minutes,
    Registration,
)


class RegistrationInline(admin.TabularInline):
    model = Registration
    extra = 0
    fields = ["organization", "user", "guest_name", "answer", "status", "waitlist_position", "attended", "actor_kind"]
    raw_id_fields = ["organization", "user"]


class DecisionInline(admin.TabularInline):
    model = Decision
    extra = 0
    fields = ["text"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["title", "territory", "kind", "starts_at", "visibility", "capacity", "cancelled_at"]
    list_filter = ["kind", "visibility", "territory"]
    search_fields = ["title", "agenda"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["host_organization", "commune", "organizers"]
    inlines = [RegistrationInline, DecisionInline]


@admin.register(MeetingInvitation)
class MeetingInvitationAdmin(admin.ModelAdmin):
    list_display = ["meeting", "organization", "user", "email", "sent_at"]
    raw_id_fields = ["meeting", "organization", "user", "invited_by"]
    exclude = ["token_hash"]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["meeting", "participant_label", "answer", "status", "waitlist_position", "attended"]
    list_filter = ["status", "answer", "actor_kind"]
    raw_id_fields = ["meeting", "organization", "user", "invitation"]


@admin.register(Minutes)
class MinutesAdmin(admin.ModelAdmin):
    list_display = ["meeting", "is_published", "updated_at"]
    raw_id_fields = ["meeting"]


class ActionNoteInline(admin.TabularInline):
    model = ActionNote
    extra = 0


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ["title", "meeting", "owner_label", "due_date", "status", "last_reminded_at"]
    list_filter = ["status"]
    raw_id_fields = ["meeting", "decision", "owner_organization", "owner_user"]
    inlines = [ActionNoteInline]


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "meeting", "created_at"]
    raw_id_fields = ["meeting"]


@admin.register(DiagnosticInterview)
class DiagnosticInterviewAdmin(admin.ModelAdmin):
    list_display = ["organization", "territory", "held_on", "interviewer"]
    list_filter = ["territory"]
    raw_id_fields = ["organization", "interviewer", "meeting"]


@admin.register(CalendarToken)
class CalendarTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "territory", "created_at", "last_used_at"]
    raw_id_fields = ["user"]
    exclude = ["token_hash"]
