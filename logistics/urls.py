from django.urls import path

from logistics import views

app_name = "logistics"

urlpatterns = [
    path("tournees/", views.round_list, name="round_list"),
    path("tournees/export.<str:fmt>", views.round_list_export, name="round_list_export"),
    path("tournees/<int:pk>/", views.round_detail, name="round_detail"),
    path("tournees/<int:pk>/feuille.pdf", views.round_sheet, name="round_sheet"),
    path("tournees/<int:pk>/conduire/", views.round_claim, name="round_claim"),
]
