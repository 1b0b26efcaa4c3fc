from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render


def home(request):
    from actors import selectors

    return render(request, "miam/home.html", selectors.home_context(user=request.user))


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
