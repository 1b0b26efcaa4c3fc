"""Pages of imports: thin, the services decide and check who may."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from actors.models import Territory
from actors.permissions import can_manage_territory, is_staff, officer_territory_ids
from imports import services
from imports.columns import SPECS
from imports.forms import ImportForm
from imports.models import ImportBatch
from miam import exports
from miam.errors import DomainError
from miam.pages import apply_domain_error

ERRORS_PER_PAGE = 100


def _territories(user):
    if is_staff(user):
        return Territory.objects.order_by("name")
    return Territory.objects.filter(id__in=officer_territory_ids(user)).order_by("name")


def _crumbs(current, *links):
    return {"links": [{"url": url, "title": title} for url, title in links], "current": current}


def _visible_batch(request, pk) -> ImportBatch:
    batch = get_object_or_404(ImportBatch.objects.select_related("territory", "created_by"), pk=pk)
    if is_staff(request.user) or (batch.territory and can_manage_territory(request.user, batch.territory)):
        return batch
    raise PermissionDenied


@login_required
def batch_list(request):
    territories = _territories(request.user)
    staff = is_staff(request.user)
    if not staff and not territories.exists():
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, territories=territories, staff=staff)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = services.batch_create(
                by=request.user,
                kind=form.cleaned_data["kind"],
                territory=form.cleaned_data["territory"],
                filename=upload.name,
                content=upload.read(),
                on_duplicate=form.cleaned_data["on_duplicate"],
            )
        except DomainError as error:
            apply_domain_error(error, form=form, request=request)
        else:
            return redirect("imports:detail", pk=batch.pk)
    page = Paginator(services.batch_list(principal=request.user), 20).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "kinds": ImportBatch.Kind.choices,
        "title": _("Importer un tableur"),
        "breadcrumb": _crumbs(_("Imports")),
    }
    return render(request, "imports/list.html", context, status=400 if form.errors else 200)


def _detail_context(request, batch: ImportBatch) -> dict:
    # A batch has errors (nothing written) or, once written, warnings: never both.
    errors = Paginator(batch.errors or batch.warnings, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "batch": batch,
        "progress": services.batch_progress(batch),
        "errors_page": errors,
        "title": batch.filename,
        "breadcrumb": _crumbs(batch.filename, (reverse("imports:list"), _("Imports"))),
    }


@login_required
def batch_detail(request, pk):
    batch = _visible_batch(request, pk)
    return render(request, "imports/detail.html", _detail_context(request, batch))


@login_required
def batch_progress(request, pk):
    """The status block, polled by htmx while a job runs; the whole page once it is done."""
    batch = _visible_batch(request, pk)
    response = render(request, "imports/_status.html", _detail_context(request, batch))
    if not batch.is_busy and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def batch_commit(request, pk):
    batch = _visible_batch(request, pk)
    try:
        batch = services.batch_commit(by=request.user, batch=batch)
    except DomainError as error:
        apply_domain_error(error, request=request)
    else:
        batch.refresh_from_db()
        if batch.status == ImportBatch.Status.DONE:
            messages.success(request, _("Import terminé."))
    return redirect("imports:detail", pk=batch.pk)


@login_required
def batch_errors(request, pk, fmt):
    batch = _visible_batch(request, pk)
    return exports.export_response(services.batch_error_report(batch), fmt=fmt, filename=f"erreurs-import-{batch.pk}")


def template_download(request, kind, fmt):
    if kind not in SPECS or fmt not in exports.FORMATS:
        raise Http404
    content = services.template_file(kind, fmt=fmt)
    content_type = exports.XLSX_CONTENT_TYPE if fmt == "xlsx" else exports.CSV_CONTENT_TYPE
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="modele-{SPECS[kind].slug}.{fmt}"'
    return response
