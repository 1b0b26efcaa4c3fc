from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("", views.batch_list, name="list"),
    path("modele/<str:kind>.<str:fmt>", views.template_download, name="template"),
    path("<int:pk>/", views.batch_detail, name="detail"),
    path("<int:pk>/avancement/", views.batch_progress, name="progress"),
    path("<int:pk>/importer/", views.batch_commit, name="commit"),
    path("<int:pk>/erreurs.<str:fmt>", views.batch_errors, name="errors"),
]
