"""REST API of the meetings app: serializers and viewsets, thin; rules live in services."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path  # noqa: F401
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from actors.models import Commune, Organization, Territory, User
from actors.permissions import officer_territory_ids
from initiatives.models import Initiative, PlannedAction
from meetings import ics, inputs, selectors
from meetings.models import Action, ActionNote, Decision, DiagnosticInterview, Meeting, Minutes, Registration
from meetings.services import actions as action_services
from meetings.services import interviews as interview_services
from meetings.services import invitations as invitation_services
from meetings.services import meetings as meeting_services
from meetings.services import minutes as minutes_services
from meetings.services import registrations as registration_services
from meetings.templatetags.meetings_tags import render_markdown
from miam.errors import NotAllowed
from miam.filters import IsoDateTimeFilter
from miam.inputs import ValidatedByInput, input_values

# --- Serializers ---------------------------------------------------------------------


class MeetingSerializer(ValidatedByInput, serializers.ModelSerializer):
    input_class = inputs.MeetingInput  # on an update, a territory given is checked, then left as it is

    territory = serializers.SlugRelatedField(slug_field="slug", queryset=Territory.objects.all())
    commune = serializers.SlugRelatedField(
        slug_field="insee_code", queryset=Commune.objects.all(), required=False, allow_null=True
    )
    host_organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True
    )
    organizers = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    discussed_actions = serializers.PrimaryKeyRelatedField(
        queryset=PlannedAction.objects.select_related("plan"), many=True, required=False
    )
    place = serializers.SerializerMethodField()
    is_cancelled = serializers.BooleanField(read_only=True)
    seats_taken = serializers.IntegerField(read_only=True, default=None)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "territory",
            "title",
            "kind",
            "starts_at",
            "ends_at",
            "host_organization",
            "address",
            "commune",
            "online_url",
            "place",
            "agenda",
            "organizers",
            "capacity",
            "seats_taken",
            "visibility",
            "discussed_actions",
            "is_cancelled",
            "ical_uid",
            "url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["ical_uid", "created_at", "updated_at"]
        # Rules (dates in order, capacity…) are checked by the services, with one error shape.
        validators: list = []

    def get_place(self, obj) -> str:
        return obj.place_label()

    def get_url(self, obj) -> str:
        return ics.meeting_url(obj)

    def get_fields(self):
        fields = super().get_fields()
        for name in ("starts_at", "ends_at"):
            fields[name].validators = []
        return fields


class RegistrationSerializer(serializers.ModelSerializer):
    meeting = serializers.PrimaryKeyRelatedField(queryset=Meeting.objects.all())
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True
    )
    participant = serializers.CharField(source="participant_label", read_only=True)

    class Meta:
        model = Registration
        fields = [
            "id",
            "meeting",
            "organization",
            "user",
            "participant",
            "guest_name",
            "guest_email",
            "guest_consent",
            "answer",
            "note",
            "status",
            "waitlist_position",
            "attended",
            "actor_kind",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "user",
            "status",
            "waitlist_position",
            "attended",
            "actor_kind",
            "created_at",
            "updated_at",
        ]
        validators: list = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        managed = self.context.get("managed_territory_ids", set())
        team = self.context.get("team_territory_ids", set())
        me = self.context.get("user_id")
        own = instance.user_id is not None and instance.user_id == me
        territory_id = instance.meeting.territory_id
        if territory_id not in managed and not own:
            data["guest_email"] = ""
            data["note"] = ""
        if territory_id not in team and not own and instance.organization_id is None:
            data["participant"] = ""
            data["guest_name"] = ""
        return data


class RegisterSerializer(ValidatedByInput, serializers.Serializer):
    input_class = inputs.RegisterInput

    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True
    )
    guest_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    guest_email = serializers.EmailField(required=False, allow_blank=True)
    guest_consent = serializers.BooleanField(required=False, default=False)
    answer = serializers.ChoiceField(choices=Registration.Answer.choices, default=Registration.Answer.YES)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    walk_in = serializers.BooleanField(required=False, default=False)


class RegistrationUpdateSerializer(ValidatedByInput, serializers.Serializer):
    input_class = inputs.RegistrationUpdateInput

    answer = serializers.ChoiceField(choices=Registration.Answer.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class InviteSerializer(serializers.Serializer):
    organizations = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all(), many=True, required=False)
    users = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), many=True, required=False)
    emails = serializers.ListField(child=serializers.CharField(max_length=254), required=False)


class AttendanceSerializer(ValidatedByInput, serializers.Serializer):
    input_class = inputs.AttendanceInput

    present = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)


class MinutesSerializer(ValidatedByInput, serializers.ModelSerializer):
    input_class = inputs.MinutesInput

    html = serializers.SerializerMethodField()

    class Meta:
        model = Minutes
        fields = ["body", "is_published", "html", "updated_at"]
        read_only_fields = ["updated_at"]

    def get_html(self, obj) -> str:
        return render_markdown(obj.body)


class DecisionSerializer(ValidatedByInput, serializers.ModelSerializer):
    input_class = inputs.DecisionInput
    update_input_class = inputs.DecisionUpdateInput

    meeting = serializers.PrimaryKeyRelatedField(queryset=Meeting.objects.all())
    initiative = serializers.PrimaryKeyRelatedField(queryset=Initiative.objects.all(), required=False, allow_null=True)
    planned_action = serializers.PrimaryKeyRelatedField(
        queryset=PlannedAction.objects.select_related("plan"), required=False, allow_null=True
    )

    class Meta:
        model = Decision
        fields = ["id", "meeting", "text", "initiative", "planned_action", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["meeting"].read_only = True
        return fields


class ActionNoteSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField()

    class Meta:
        model = ActionNote
        fields = ["id", "text", "author", "created_at"]


class ActionSerializer(ValidatedByInput, serializers.ModelSerializer):
    input_class = inputs.ActionInput
    update_input_class = inputs.ActionUpdateInput

    meeting = serializers.PrimaryKeyRelatedField(queryset=Meeting.objects.all())
    owner_organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True
    )
    owner_user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    decision = serializers.PrimaryKeyRelatedField(queryset=Decision.objects.all(), required=False, allow_null=True)
    owner = serializers.CharField(source="owner_label", read_only=True)
    is_overdue = serializers.SerializerMethodField()
    notes = ActionNoteSerializer(many=True, read_only=True)

    class Meta:
        model = Action
        fields = [
            "id",
            "meeting",
            "decision",
            "title",
            "description",
            "owner_organization",
            "owner_user",
            "owner",
            "due_date",
            "status",
            "is_overdue",
            "last_reminded_at",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["last_reminded_at", "created_at", "updated_at"]
        validators: list = []

    def get_is_overdue(self, obj) -> bool:
        return bool(obj.is_open and obj.due_date and obj.due_date < timezone.localdate())

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["meeting"].read_only = True
        return fields


class ActionNoteCreateSerializer(ValidatedByInput, serializers.Serializer):
    input_class = inputs.ActionNoteInput

    text = serializers.CharField()
    status = serializers.ChoiceField(choices=Action.Status.choices, required=False)


class DiagnosticInterviewSerializer(ValidatedByInput, serializers.ModelSerializer):
    input_class = inputs.InterviewInput
    update_input_class = inputs.InterviewUpdateInput

    territory = serializers.SlugRelatedField(slug_field="slug", queryset=Territory.objects.all())
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    interviewer = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    meeting = serializers.PrimaryKeyRelatedField(queryset=Meeting.objects.all(), required=False, allow_null=True)

    class Meta:
        model = DiagnosticInterview
        fields = [
            "id",
            "territory",
            "organization",
            "interviewer",
            "held_on",
            "meeting",
            "links_other_world",
            "possible_commitment",
            "current_actions",
            "needs_expectations",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["territory"].read_only = True
        return fields


# --- Filters -------------------------------------------------------------------------


class MeetingFilter(filters.FilterSet):
    territory = filters.CharFilter(field_name="territory__slug")
    starts_after = IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = Meeting
        fields = ["territory", "kind", "visibility", "starts_after", "starts_before"]


class ActionFilter(filters.FilterSet):
    overdue = filters.BooleanFilter(method="filter_overdue")
    territory = filters.CharFilter(field_name="meeting__territory__slug")

    class Meta:
        model = Action
        fields = ["meeting", "status", "owner_organization", "owner_user", "territory", "overdue"]

    def filter_overdue(self, qs, name, value):
        overdue = selectors.actions_overdue(today=timezone.localdate())
        return qs.filter(pk__in=overdue.values("pk")) if value else qs.exclude(pk__in=overdue.values("pk"))


# --- Viewsets ------------------------------------------------------------------------


def _registration_context(request) -> dict:
    user = request.user
    return {
        "request": request,
        "managed_territory_ids": officer_territory_ids(user),
        "team_territory_ids": selectors.team_territory_ids(user),
        "user_id": getattr(user, "pk", None),
    }


def _register(request, meeting: Meeting) -> Response:
    serializer = RegisterSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    organization = data.pop("organization", None)
    kwargs = {"organization": organization} if organization is not None else {}
    if organization is None and not data.get("guest_name"):
        user = request.user if getattr(request.user, "api_key", None) is None else None
        if user is None or not user.is_authenticated:
            raise NotAllowed(_("Indiquez une organisation ou le nom d'une personne sans compte."))
        kwargs = {"user": user}
    registration = registration_services.registration_create(by=request.user, meeting=meeting, **kwargs, **data)
    return Response(
        RegistrationSerializer(registration, context=_registration_context(request)).data,
        status=status.HTTP_201_CREATED,
    )


class MeetingViewSet(viewsets.ModelViewSet):
    """Meetings visible to the caller. Officers of the territory create and manage them."""

    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter
    ordering_fields = ["starts_at", "updated_at"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.meeting_list(principal=self.request.user).prefetch_related(
            Prefetch("organizers", queryset=User.objects.only("id")),
            Prefetch("discussed_actions", queryset=PlannedAction.objects.only("id")),
        )

    @transaction.atomic
    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        territory = data.pop("territory")
        discussed = data.pop("discussed_actions", None)
        meeting = meeting_services.meeting_create(by=self.request.user, territory=territory, **data)
        if discussed is not None:
            meeting_services.meeting_discussed_actions_set(
                by=self.request.user, meeting=meeting, planned_actions=discussed
            )
        serializer.instance = meeting

    @transaction.atomic
    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("territory", None)  # a meeting stays in its territory
        organizers = data.pop("organizers", None)
        discussed = data.pop("discussed_actions", None)
        meeting = serializer.instance
        if data or organizers is not None:
            meeting = meeting_services.meeting_update(
                by=self.request.user, meeting=meeting, organizers=organizers, **data
            )
        if discussed is not None:
            meeting_services.meeting_discussed_actions_set(
                by=self.request.user, meeting=meeting, planned_actions=discussed
            )
        serializer.instance = meeting

    @extend_schema(request=RegisterSerializer, responses={201: RegistrationSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def register(self, request, pk=None):
        """Register oneself, one's organization (``organization``) or a resident (``guest_name`` + consent)."""
        return _register(request, self.get_object())

    @extend_schema(
        request=InviteSerializer, responses={201: inline_serializer("Invited", {"invited": serializers.IntegerField()})}
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def invite(self, request, pk=None):
        created = invitation_services.meeting_invite(
            by=request.user, meeting=self.get_object(), **inputs.invite_input(request.data)
        )
        return Response({"invited": len(created)}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: MeetingSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def cancel(self, request, pk=None):
        meeting = meeting_services.meeting_cancel(by=request.user, meeting=self.get_object())
        return Response(MeetingSerializer(meeting, context={"request": request}).data)

    @extend_schema(request=AttendanceSerializer, responses={200: dict})
    @action(detail=True, methods=["get", "post"], permission_classes=[IsAuthenticated])
    def attendance(self, request, pk=None):
        """GET: attendance by kind of actor (team); POST ``present``: the registrations that came."""
        meeting = self.get_object()
        if request.method == "GET":
            if not selectors.is_team_member(request.user, meeting.territory_id) and not selectors.can_manage_meeting(
                request.user, meeting
            ):
                raise NotAllowed()
            return Response(selectors.attendance_stats(meeting))
        serializer = AttendanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stats = registration_services.attendance_set(
            by=request.user, meeting=meeting, present_ids=serializer.validated_data["present"]
        )
        return Response(stats)

    @extend_schema(request=MinutesSerializer, responses={200: MinutesSerializer})
    @action(detail=True, methods=["get", "put"])
    def minutes(self, request, pk=None):
        meeting = self.get_object()
        if request.method == "GET":
            minutes = Minutes.objects.filter(meeting=meeting).first()
            if minutes is None or not (minutes.is_published or selectors.can_manage_meeting(request.user, meeting)):
                return Response(status=status.HTTP_404_NOT_FOUND)
            return Response(MinutesSerializer(minutes).data)
        serializer = MinutesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        minutes = minutes_services.minutes_save(
            by=request.user,
            meeting=meeting,
            body=serializer.validated_data.get("body", ""),
            is_published=serializer.validated_data.get("is_published"),
        )
        return Response(MinutesSerializer(minutes).data)

    @extend_schema(responses={(200, "text/calendar"): bytes})
    @action(detail=True, methods=["get"], url_path="ics")
    def ics(self, request, pk=None):
        """The meeting as an iCalendar file (TZID Europe/Paris)."""
        meeting = self.get_object()
        response = HttpResponse(ics.meeting_ics(meeting), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="reunion-{meeting.pk}.ics"'
        return response


class RegistrationViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Registrations: the team sees all of its territory's; others their own and registered organizations."""

    serializer_class = RegistrationSerializer
    filterset_fields = ["meeting", "organization", "status", "answer"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.registrations_visible_to(self.request.user).order_by("meeting_id", "created_at", "id")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **_registration_context(self.request)}

    @extend_schema(request=RegisterSerializer, responses={201: RegistrationSerializer})
    def create(self, request, *args, **kwargs):
        meeting_id = request.data.get("meeting")
        # Resolved among all meetings so an uninvited caller gets the clear "not invited" error.
        meeting = get_object_or_404(Meeting, pk=meeting_id) if str(meeting_id or "").isdecimal() else None
        if meeting is None:
            raise serializers.ValidationError({"meeting": [_("Réunion inconnue.")]})
        return _register(request, meeting)

    @extend_schema(request=RegistrationUpdateSerializer, responses={200: RegistrationSerializer})
    def partial_update(self, request, *args, **kwargs):
        serializer = RegistrationUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        registration = registration_services.registration_update(
            by=request.user, registration=self.get_object(), **serializer.validated_data
        )
        return Response(self.get_serializer(registration).data)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: RegistrationSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        registration = registration_services.registration_cancel(by=request.user, registration=self.get_object())
        return Response(self.get_serializer(registration).data)

    @extend_schema(
        request=inline_serializer("AttendanceMark", {"attended": serializers.BooleanField(allow_null=True)}),
        responses={200: RegistrationSerializer},
    )
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        attended = input_values(inputs.AttendanceMarkInput, request.data).get("attended")
        registration = registration_services.attendance_mark(
            by=request.user, registration=self.get_object(), attended=attended
        )
        return Response(self.get_serializer(registration).data)


class DecisionViewSet(viewsets.ModelViewSet):
    serializer_class = DecisionSerializer
    filterset_fields = ["meeting"]

    def get_queryset(self):
        return Decision.objects.filter(meeting__in=selectors.meetings_visible_to(self.request.user)).order_by(
            "meeting_id", "created_at", "id"
        )

    def _links(self, data: dict) -> dict:
        return {k: data[k] for k in ("initiative", "planned_action") if k in data}

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = minutes_services.decision_create(
            by=self.request.user, meeting=data["meeting"], text=data["text"], **self._links(data)
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = minutes_services.decision_update(
            by=self.request.user, decision=serializer.instance, text=data.get("text"), **self._links(data)
        )

    def perform_destroy(self, instance):
        minutes_services.decision_delete(by=self.request.user, decision=instance)


class ActionViewSet(viewsets.ModelViewSet):
    """Follow-up actions. The team manages them; owners update the status and add notes."""

    serializer_class = ActionSerializer
    filterset_class = ActionFilter
    ordering_fields = ["due_date", "updated_at"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return (
            selectors.actions_visible_to(self.request.user)
            .prefetch_related(Prefetch("notes", queryset=ActionNote.objects.select_related("author")))
            .order_by("due_date", "id")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        meeting = data.pop("meeting")
        serializer.instance = action_services.action_create(by=self.request.user, meeting=meeting, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("meeting", None)
        serializer.instance = action_services.action_update(by=self.request.user, action=serializer.instance, **data)

    @extend_schema(request=ActionNoteCreateSerializer, responses={201: ActionNoteSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        serializer = ActionNoteCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = action_services.action_note_add(by=request.user, action=self.get_object(), **serializer.validated_data)
        return Response(ActionNoteSerializer(note).data, status=status.HTTP_201_CREATED)


class DiagnosticInterviewViewSet(viewsets.ModelViewSet):
    """Diagnostic interviews: the territory's team and the interviewed organization read; officers write."""

    serializer_class = DiagnosticInterviewSerializer
    filterset_fields = ["organization", "territory__slug"]
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return selectors.interviews_visible_to(self.request.user).order_by("-held_on", "-id")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = interview_services.interview_create(
            by=self.request.user,
            territory=data.pop("territory"),
            organization=data.pop("organization"),
            held_on=data.pop("held_on"),
            **data,
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("territory", None)
        serializer.instance = interview_services.interview_update(
            by=self.request.user, interview=serializer.instance, **data
        )

    def perform_destroy(self, instance):
        interview_services.interview_delete(by=self.request.user, interview=instance)


def register(router) -> None:
    """Add this app's viewsets to the v1 router."""
    router.register("meetings", MeetingViewSet, basename="meeting")
    router.register("meeting-registrations", RegistrationViewSet, basename="meeting-registration")
    router.register("meeting-decisions", DecisionViewSet, basename="meeting-decision")
    router.register("meeting-actions", ActionViewSet, basename="meeting-action")
    router.register("diagnostic-interviews", DiagnosticInterviewViewSet, basename="diagnostic-interview")


urlpatterns: list = []
