from django.urls import path

from meetings import views

app_name = "meetings"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("calendrier/", views.meeting_calendar, name="calendar"),
    path("nouvelle/", views.meeting_create, name="create"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/modifier/", views.meeting_edit, name="edit"),
    path("<int:pk>/annuler/", views.meeting_cancel, name="cancel"),
    path("<int:pk>/invitations/", views.meeting_invitations, name="invitations"),
    path("<int:pk>/presences/", views.attendance, name="attendance"),
    path("<int:pk>/suivi/", views.followup, name="followup"),
    path("<int:pk>/suivi/apercu/", views.minutes_preview, name="minutes_preview"),
    path("<int:pk>/participants.csv", views.participants_export, {"fmt": "csv"}, name="participants_csv"),
    path("<int:pk>/participants.xlsx", views.participants_export, {"fmt": "xlsx"}, name="participants_xlsx"),
    path("<int:pk>/reunion.ics", views.meeting_ics, name="ics"),
    path("inscriptions/<int:pk>/", views.registration_update, name="registration_update"),
    path("inscriptions/<int:pk>/presence/", views.attendance_mark, name="attendance_mark"),
    path("invitation/<str:token>/", views.invitation_answer, name="invitation_answer"),
    path("actions/", views.my_actions, name="actions"),
    path("actions/<int:pk>/", views.action_detail, name="action_detail"),
    path("agendas/", views.my_calendars, name="calendars"),
    path("agendas/<str:token>.ics", views.calendar_feed, name="feed"),
    path("territoires/<slug:slug>/reunions.ics", views.territory_ics, name="territory_ics"),
    path("territoires/<slug:slug>/diagnostic/", views.territory_diagnostic, name="diagnostic"),
    path("territoires/<slug:slug>/diagnostic/entretien/", views.interview_create, name="interview_create"),
    path("entretiens/<int:pk>/", views.interview_edit, name="interview_edit"),
    path("organisations/<int:pk>/entretiens/", views.organization_interviews, name="organization_interviews"),
]
