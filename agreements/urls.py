from django.urls import path

from agreements import views

app_name = "agreements"

urlpatterns = [
    path("", views.agreement_list, name="list"),
    path("<int:pk>/", views.agreement_detail, name="detail"),
    path("financements/", views.funding_line_list, name="funding_lines"),
]
