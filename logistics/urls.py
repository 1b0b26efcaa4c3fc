from django.urls import path

from logistics import views

app_name = "logistics"

urlpatterns = [
    path("tournees/", views.round_list, name="round_list"),
    path("tournees/calculer/", views.round_plan, name="round_plan"),
    path("tournees/export.<str:fmt>", views.round_list_export, name="round_list_export"),
    path("tournees/<int:pk>/", views.round_detail, name="round_detail"),
    path("tournees/<int:pk>/feuille.pdf", views.round_sheet, name="round_sheet"),
    path("tournees/<int:pk>/conduire/", views.round_claim, name="round_claim"),
    path("vehicules/", views.vehicle_list, name="vehicle_list"),
    path("vehicules/nouveau/", views.vehicle_edit, name="vehicle_create"),
    path("vehicules/<int:pk>/modifier/", views.vehicle_edit, name="vehicle_edit"),
    path("hubs/", views.hub_list, name="hub_list"),
    path("hubs/nouveau/", views.hub_edit, name="hub_create"),
    path("hubs/<int:pk>/modifier/", views.hub_edit, name="hub_edit"),
    path("glanage/", views.gleaning_list, name="gleaning_list"),
    path("glanage/nouvelle/", views.gleaning_create, name="gleaning_create"),
    path("glanage/<int:pk>/", views.gleaning_detail, name="gleaning_detail"),
    path("glanage/<int:pk>/inscription/", views.gleaning_signup, name="gleaning_signup"),
    path("glanage/<int:pk>/feuille.pdf", views.gleaning_sheet, name="gleaning_sheet"),
    path("glanage/<int:pk>/documents/<str:kind>.pdf", views.gleaning_document, name="gleaning_document"),
    path("glanage/<int:pk>/<str:action>/", views.gleaning_action, name="gleaning_action"),
]
