from django.urls import path
from django.views.generic import RedirectView

from offers import views

app_name = "offers"
urlpatterns = [
    path("carte/", views.map_page, name="map"),
    path("carte/donnees.json", views.map_data, name="map_data"),
    path("territoire/choisir/", views.territory_switch, name="territory_switch"),
    path("offres/<int:pk>/", views.offer_detail, name="offer_detail"),
    path("offres/<int:pk>/modifier/", views.offer_edit, name="offer_edit"),
    path("offres/<int:pk>/retirer/", views.offer_withdraw, name="offer_withdraw"),
    path("offres/<int:pk>/je-suis-interesse/", views.offer_request, name="offer_request"),
    path("besoins/<int:pk>/", views.need_detail, name="need_detail"),
    path("besoins/<int:pk>/modifier/", views.need_edit, name="need_edit"),
    path("besoins/<int:pk>/retirer/", views.need_withdraw, name="need_withdraw"),
    path("mon-espace/", views.my_space, name="my_space"),
    path("je-propose/", views.offer_create, name="offer_create"),
    path("j-ai-besoin/", views.need_create, name="need_create"),
    path("mes-offres/", views.my_offers, name="my_offers"),
    path("mes-besoins/", views.my_needs, name="my_needs"),
    path("mes-propositions/", views.proposals, name="proposals"),
    path("mes-livraisons/", views.deliveries, name="deliveries"),
    path("mises-en-relation/<int:pk>/", views.match_detail, name="match_detail"),
    # Links sent in notifications and e-mails before the match page existed.
    path("rapprochements/", RedirectView.as_view(pattern_name="offers:proposals", permanent=True)),
    path("rapprochements/<int:pk>/", RedirectView.as_view(pattern_name="offers:match_detail", permanent=True)),
    path("mises-en-relation/<int:pk>/accepter/", views.match_accept, name="match_accept"),
    path("mises-en-relation/<int:pk>/refuser/", views.match_decline, name="match_decline"),
    path("mises-en-relation/<int:pk>/planifier/", views.match_schedule, name="match_schedule"),
    path("mises-en-relation/<int:pk>/reception/", views.match_confirm_delivery, name="match_confirm_delivery"),
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("tableau-de-bord/calculs/", views.dashboard_runs, name="dashboard_runs"),
    path("tableau-de-bord/recalculer/", views.matching_request, name="matching_request"),
    path("tableau-de-bord/mise-en-relation/", views.match_propose, name="match_propose"),
    path("tableau-de-bord/indicateurs.csv", views.indicators_export, {"fmt": "csv"}, name="indicators_csv"),
    path("tableau-de-bord/indicateurs.xlsx", views.indicators_export, {"fmt": "xlsx"}, name="indicators_xlsx"),
]
