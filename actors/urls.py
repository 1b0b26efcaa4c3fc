from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from actors import views

urlpatterns = [
    path("connexion/", auth_views.LoginView.as_view(template_name="actors/login.html"), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/oubli/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "mot-de-passe/envoye/",
        auth_views.PasswordResetDoneView.as_view(template_name="actors/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="actors/password_reset_confirm.html", success_url=reverse_lazy("login")
        ),
        name="password_reset_confirm",
    ),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
]

app_urlpatterns = [
    path("profil/", views.profile, name="profile"),
    path("profil/export/", views.profile_export, name="profile_export"),
    path("profil/supprimer/", views.profile_delete, name="profile_delete"),
    path("notifications/", views.notifications, name="notifications"),
    path("donnees-personnelles/", views.privacy, name="privacy"),
    path("territoires/<slug:slug>/", views.territory_detail, name="territory_detail"),
    path("territoires/<slug:slug>/invitations/", views.invitations, name="invitations"),
    path("acteurs/", views.directory, name="directory"),
    path("acteurs/<int:pk>/", views.organization_detail, name="organization_detail"),
    path("acteurs/<int:pk>/modifier/", views.organization_edit, name="organization_edit"),
]

urlpatterns += [path("", include((app_urlpatterns, "actors")))]
