from django.urls import path

from agreements import views

app_name = "agreements"

urlpatterns = [
    path("", views.agreement_list, name="list"),
    path("nouvelle/", views.agreement_create, name="create"),
    path("<int:pk>/", views.agreement_detail, name="detail"),
    path("<int:pk>/modifier/", views.agreement_edit, name="edit"),
    path("<int:pk>/<str:action>/", views.agreement_action, name="action"),
    path("livraisons/<int:pk>/<str:action>/", views.occurrence_action, name="occurrence_action"),
    path("financements/", views.funding_line_list, name="funding_lines"),
    path("demande/", views.demand, name="demand"),
    path("releves/", views.statement, name="statements"),
    path("dons/", views.donor_statement, name="donations"),
    path("bon-de-livraison/<int:match_id>/", views.delivery_note, name="delivery_note"),
    path("recus/", views.receipt_list, name="receipts"),
    path("recus/<int:pk>/pdf/", views.receipt_pdf, name="receipt_pdf"),
    path("recus/<int:pk>/<str:action>/", views.receipt_action, name="receipt_action"),
]
