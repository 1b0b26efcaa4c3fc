"""Pages of season agreements, funding lines, statements and donation receipts: thin."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def agreement_list(request):
    return HttpResponse("")


@login_required
def agreement_detail(request, pk: int):
    return HttpResponse("")


@login_required
def funding_line_list(request):
    return HttpResponse("")
