from django.urls import path

from initiatives import views

app_name = "initiatives"
urlpatterns = [
    path("", views.catalog, name="list"),
    path("carte/", views.catalog_map, name="map"),
    path("carte.geojson", views.catalog_geojson, name="geojson"),
    path("plans/", views.plan_index, name="plans"),
    path("plans/<slug:territory_slug>/", views.plan_detail, name="plan"),
    path("plans/<slug:territory_slug>/creer/", views.plan_create, name="plan_create"),
    path("plans/<slug:territory_slug>/modifier/", views.plan_update, name="plan_update"),
    path("plans/<slug:territory_slug>/preselection/", views.plan_shortlist, name="plan_shortlist"),
    path("plans/<slug:territory_slug>/export.csv", views.plan_export, {"fmt": "csv"}, name="plan_csv"),
    path("plans/<slug:territory_slug>/export.xlsx", views.plan_export, {"fmt": "xlsx"}, name="plan_xlsx"),
    path("plans/<slug:territory_slug>/imprimer/", views.plan_print, name="plan_print"),
    path("plans/<slug:territory_slug>/actions/<int:pk>/", views.action_edit, name="action_edit"),
    path(
        "plans/<slug:territory_slug>/actions/<int:pk>/<str:transition>/",
        views.action_transition,
        name="action_transition",
    ),
    path(
        "plans/<slug:territory_slug>/actions/<int:pk>/deplacer/<str:direction>/",
        views.action_move,
        name="action_move",
    ),
    path("<slug:slug>/", views.detail, name="detail"),
]
