from django.urls import path

from indicators import views

app_name = "indicators"
urlpatterns = [
    path("", views.territory_indicators, name="territory"),
    path("rapport-copil.pdf", views.report_pdf, name="report_pdf"),
    path("rapport-copil.xlsx", views.report_spreadsheet, {"fmt": "xlsx"}, name="report_xlsx"),
    path("rapport-copil.csv", views.report_spreadsheet, {"fmt": "csv"}, name="report_csv"),
]
