"""Imports of spreadsheets: check every line, then write all of them or none.

A line becomes the input of its use case (``actors.inputs.organization_data``,
``offers.inputs.offer_data`` / ``need_data``) and goes through the rules of the very service a
page calls (``organization_prepare`` for ``organization_create``, ``offer_prepare`` for
``offer_create``…, nothing written), so an import accepts exactly what a page would, with the
same permissions. Once every line passed, what they create is written at once
(``organizations_create_many``, ``listings_create_many``: a few INSERTs for 10,000 lines, and
their follow-ups batched: one matching schedule per organization, one batch of events, the
visitors' cache dropped once); what they change of existing actors too
(``organization_change``, the rules of ``organization_update``, then ``organizations_update_many``:
a few UPDATEs). The check (« dry run ») and the import run the same code: the check inside
one transaction that always rolls back; the import checks the lines (they write nothing), asks
the geocoder, and only then opens the transaction that writes them all, or none when a line was
refused or the database refuses them.
Every error of every line is kept (line, column, value, reason), never only the first, never
capped.

A file of more than ``IMPORTS_INLINE_MAX_ROWS`` lines runs as a Celery job (``miam.dispatch``);
its progress is in the cache, where the page polls it (the job's transaction is not visible
until it ends).
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from actors import geocoding
from actors import services as actor_services
from actors.inputs import organization_data
from actors.models import Commune, FarmProfile, Organization, StructureProfile, Territory
from actors.permissions import as_user, can_manage_territory, edit_rights, is_staff
from imports import reading
from imports.columns import SPECS, Column, Spec, cell_text, shape
from imports.models import ImportBatch
from miam import exports
from miam.dispatch import dispatch
from miam.errors import DomainError, NotAllowed
from miam.text import normalize
from offers.inputs import need_data, offer_data
from offers.services import listings
from products.models import ProductCategory

logger = logging.getLogger(__name__)

KIND_OF = {"farms": Organization.Kind.FARM, "structures": Organization.Kind.FOOD_AID}
PROGRESS_EVERY = 50
_INSEE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")


def _progress_key(batch_id: int) -> str:
    return f"imports:progress:{batch_id}"


def batch_progress(batch: ImportBatch) -> int:
    """How far the running job is, in percent (0 before it starts, 100 once done)."""
    if not batch.is_busy:
        return 100
    done, total = cache.get(_progress_key(batch.pk), (0, batch.rows_total or 0))
    return int(100 * done / total) if total else 0


# --- Creating a batch ---------------------------------------------------------------------------


def _require_import(by, territory: Territory | None) -> None:
    if is_staff(by):
        return
    if territory is None or not can_manage_territory(by, territory):
        raise NotAllowed(_("Seule l'équipe du territoire peut y importer des acteurs."))


@transaction.atomic
def batch_create(
    *, by, kind: str, filename: str, content: bytes, territory: Territory | None = None, on_duplicate: str = "update"
) -> ImportBatch:
    """Receive a file and check it: at once when it is small, as a job otherwise."""
    _require_import(by, territory)
    if kind not in SPECS:
        raise DomainError("unknown_kind", _("Type d'import inconnu."), fields={"kind": [_("Type d'import inconnu.")]})
    if on_duplicate not in ImportBatch.OnDuplicate.values:
        on_duplicate = ImportBatch.OnDuplicate.UPDATE
    if len(content) > settings.IMPORTS_MAX_BYTES:
        message = _("Le fichier dépasse %(mb)s Mo.") % {"mb": settings.IMPORTS_MAX_BYTES // 1_000_000}
        raise DomainError("too_large", message, fields={"file": [message]})
    batch = ImportBatch.objects.create(
        kind=kind,
        territory=territory,
        created_by=as_user(by),
        filename=(filename or "import")[:255],
        content=content,
        on_duplicate=on_duplicate,
        status=ImportBatch.Status.CHECKING,
    )
    sheet = _read_or_dispatch(batch, commit=False)
    return batch if sheet is None else batch_process(batch_id=batch.pk, commit=False, sheet=sheet)


def batch_commit(*, by, batch: ImportBatch) -> ImportBatch:
    """Import a checked file: every line or none (it is checked again while writing).

    The batch is marked as importing in a transaction of its own (a second click finds it busy),
    then the lines run outside any: the geocoder is asked before the transaction that writes
    them opens (``batch_process``)."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        _require_import(by, batch.territory)
        if batch.status != ImportBatch.Status.CHECKED:
            raise DomainError("not_checked", _("Ce fichier n'est pas prêt à être importé."))
        batch.status = ImportBatch.Status.IMPORTING
        batch.save(update_fields=["status"])
        sheet = _read_or_dispatch(batch, commit=True)
    if sheet is None:
        return batch
    try:
        return batch_process(batch_id=batch.pk, commit=True, sheet=sheet)
    except Exception:
        # As a job that crashes (``imports.tasks``): the batch says so; nothing was written.
        batch_fail(batch_id=batch.pk, message=_("L'import a échoué ; rien n'a été enregistré."))
        raise


def _read_or_dispatch(batch: ImportBatch, *, commit: bool) -> reading.Sheet | None:
    """The batch's file read, to process here; None when it is handed to a job (a large
    file) or is no spreadsheet (the batch says so)."""
    try:
        sheet = reading.read(bytes(batch.content), batch.filename)
    except reading.FileProblem as problem:
        _file_problem(batch, str(problem))
        return None
    batch.rows_total = len(sheet.rows)
    batch.encoding = sheet.encoding
    batch.save(update_fields=["rows_total", "encoding"])
    if len(sheet.rows) > settings.IMPORTS_INLINE_MAX_ROWS:
        task = "imports.tasks.batch_import" if commit else "imports.tasks.batch_check"
        batch.task_id = dispatch(task, kwargs={"batch_id": batch.pk})
        batch.save(update_fields=["task_id"])
        return None
    return sheet


def _file_problem(batch: ImportBatch, message: str) -> None:
    batch.file_error = message
    batch.status = ImportBatch.Status.INVALID
    batch.finished_at = timezone.now()
    batch.save(update_fields=["file_error", "status", "finished_at"])


# --- The loop -----------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def batch_process(*, batch_id: int, commit: bool, sheet: reading.Sheet | None = None) -> ImportBatch:
    """Check (``commit`` False) or import the batch's lines; record the counts and every error."""
    batch = ImportBatch.objects.select_related("territory", "created_by").get(pk=batch_id)
    if sheet is None:
        try:
            sheet = reading.read(bytes(batch.content), batch.filename)
        except reading.FileProblem as problem:
            _file_problem(batch, str(problem))
            return batch
    spec = SPECS[batch.kind]
    found = spec.match(sheet.headers)
    missing = spec.missing(found)
    if missing:
        names = ", ".join(f"« {column.header} »" for column in missing)
        _file_problem(
            batch,
            _("Colonne obligatoire absente : %(names)s. Téléchargez le modèle pour voir les colonnes attendues.")
            % {"names": names},
        )
        return batch
    principal = batch.created_by
    counts = {"created": 0, "updated": 0, "skipped": 0}
    errors: list[dict] = []
    invalid_lines: set[int] = set()
    every = max(PROGRESS_EVERY, len(sheet.rows) // 100)

    def check_lines() -> _Loop:
        loop = _Loop(batch=batch, spec=spec, found=found, sheet=sheet, principal=principal)
        for done, (line, cells) in enumerate(sheet.rows, start=1):
            row_errors, outcome = loop.line(line, cells)
            if row_errors:
                errors.extend(row_errors)
                invalid_lines.add(line)
            elif outcome:
                counts[outcome] += 1
            if done % every == 0:
                cache.set(_progress_key(batch.pk), (done, len(sheet.rows)), 3600)
        return loop

    try:
        if commit:
            # The lines write nothing: they are checked outside any transaction, then the
            # geocoder is asked (a minute a request at most, ``GEOCODER_BAN_CSV_TIMEOUT``) with
            # no transaction open and no row locked, then one transaction writes them all or
            # none (a row changed meanwhile refuses the whole: ``organizations_update_many``).
            loop = check_lines()
            if not errors:
                loop.geocode()
                with transaction.atomic():
                    errors.extend(loop.write())
                    if errors:
                        raise _Rollback
        else:
            with transaction.atomic():
                loop = check_lines()
                if not errors:
                    errors.extend(loop.write())  # the check writes too, then rolls back
                raise _Rollback
    except _Rollback:
        pass
    batch.errors = errors
    batch.warnings = [] if errors or not commit else loop.warnings
    batch.rows_total = len(sheet.rows)
    batch.rows_invalid = len(invalid_lines)
    batch.rows_created, batch.rows_updated, batch.rows_skipped = counts["created"], counts["updated"], counts["skipped"]
    if errors:
        batch.status = ImportBatch.Status.INVALID
    elif commit:
        batch.status = ImportBatch.Status.DONE
    else:
        batch.status = ImportBatch.Status.CHECKED
    batch.finished_at = timezone.now()
    batch.save()
    cache.delete(_progress_key(batch.pk))
    logger.info(
        "import %s (%s): %s lines, %s errors, commit=%s", batch.pk, batch.kind, batch.rows_total, len(errors), commit
    )
    return batch


def batch_fail(*, batch_id: int, message: str) -> None:
    """A job that crashed: the batch says so (nothing was written, its transaction rolled back)."""
    ImportBatch.objects.filter(pk=batch_id).update(
        status=ImportBatch.Status.FAILED, file_error=message, finished_at=timezone.now()
    )


def _geocoding_note(located: geocoding.Located, organization: Organization) -> str:
    """Why a line's actor is at its town hall rather than at its address."""
    if located.reason == "other_commune":
        return _(
            "La Base Adresse Nationale situe cette adresse dans une autre commune (%(code)s) : l'acteur est placé "
            "à la mairie de %(commune)s."
        ) % {"code": located.citycode or "?", "commune": organization.commune.name}
    if located.score is None:
        return _("Adresse introuvable à %(commune)s : l'acteur est placé à la mairie.") % {
            "commune": organization.commune.name
        }
    return _("Adresse introuvable à %(commune)s (score %(score)s sur 1) : l'acteur est placé à la mairie.") % {
        "commune": organization.commune.name,
        "score": number_format(located.score, 2),
    }


class _Loop:
    """One file's lines through their use case's rules, with what every line needs loaded once.

    A new organization goes through ``organization_prepare`` (every rule of
    ``organization_create``, nothing written), an existing one through ``organization_change``
    (those of ``organization_update``), an offer or a need through ``offer_prepare`` /
    ``need_prepare``, and waits; once every line passed, ``write`` writes them all with
    ``organizations_create_many`` / ``organizations_update_many`` / ``listings_create_many`` (a
    few INSERTs and UPDATEs, not five queries a line)."""

    def __init__(self, *, batch: ImportBatch, spec: Spec, found: dict[int, Column], sheet, principal) -> None:
        self.batch, self.spec, self.found, self.principal = batch, spec, found, principal
        self.headers = sheet.headers
        self.by_key = {column.key: index for index, column in found.items()}
        self.seen: dict[tuple, int] = {}
        self.staff = is_staff(principal)
        self.territory = batch.territory
        self._load_communes(sheet)
        self._load_organizations(sheet)
        self.pending: list[actor_services.PreparedOrganization] = []
        self.pending_line: dict[int, int] = {}  # id() of an organization not written yet → its line
        self.changes: list[actor_services.PreparedChange] = []
        self.change_line: dict[int, int] = {}  # pk of an organization changed → its line
        self._profiles: dict[int, object] | None = None
        self._categories: dict[str, ProductCategory] | None = None
        self._rights = None
        self.warnings: list[dict] = []
        self.listings: list = []  # offers or needs that passed, to write
        self.categories: list = []  # each need's categories
        self.today = timezone.localdate()
        self.scope = None
        if spec.kind in KIND_OF:
            communes = [*self.communes.values(), *(c for group in self.communes_by_name.values() for c in group)]
            self.scope = actor_services.organization_scope(
                by=principal, communes=communes, organizations=self._candidates()
            )

    def write(self) -> list[dict]:
        """Write what waits (all lines passed); the errors if the database refuses."""
        if not (self.pending or self.changes or self.listings):
            return []
        try:
            with transaction.atomic():
                if self.changes:
                    actor_services.organizations_update_many(by=self.principal, changes=self.changes)
                if self.pending:
                    actor_services.organizations_create_many(by=self.principal, prepared=self.pending)
                if self.listings:
                    listings.listings_create_many(
                        by=self.principal,
                        listings=self.listings,
                        categories=self.categories if self.spec.kind == "needs" else None,
                    )
        except DomainError as error:  # a row changed by someone else meanwhile
            return [self.error("", None, error.message)]
        except DatabaseError:
            logger.exception("import %s: the database refused the new rows", self.batch.pk)
            return [self.error("", None, _("La base de données a refusé l'import ; rien n'a été enregistré."))]
        return []

    def geocode(self) -> None:
        """The addresses of the actors created, moved, or still at their town hall though they
        have an address (``relocate_town_hall``), located at once (``locate_many``: the
        BAN's batch endpoint, a few thousand a request), before the import's transaction opens;
        the check leaves them at their town hall. One the geocoder did not find stays there, and
        its line says so."""
        wanted: list[tuple[int, Organization]] = []
        for prepared in self.pending:
            if prepared.geocoded and prepared.organization.address.strip():
                wanted.append((self.pending_line[id(prepared.organization)], prepared.organization))
        for change in self.changes:
            if change.geocoded and change.organization.address.strip():
                wanted.append((self.change_line[change.organization.pk], change.organization))
        if not wanted:
            return
        found = geocoding.locate_many([(o.address, o.commune) for _line, o in wanted])
        unavailable = 0
        for (line, organization), located in zip(wanted, found, strict=True):
            point = located.point
            organization.latitude, organization.longitude = point.latitude, point.longitude
            organization.location_precision = point.precision
            if located.reason == "unavailable":
                unavailable += 1
            elif located.reason in ("low_score", "other_commune"):
                self.warnings.append(
                    self.error(line, "address", _geocoding_note(located, organization), organization.address)
                )
        if unavailable:
            message = ngettext(
                "Le service national d'adresses n'a pas répondu : %(count)s acteur est placé à la mairie de sa "
                "commune (son adresse est gardée).",
                "Le service national d'adresses n'a pas répondu : %(count)s acteurs sont placés à la mairie de "
                "leur commune (leur adresse est gardée).",
                unavailable,
            ) % {"count": unavailable}
            self.warnings.insert(0, self.error("", None, message))

    # -- what is loaded once

    def _cells(self, sheet, key: str) -> list:
        index = self.by_key.get(key)
        return [] if index is None else [cells[index] if index < len(cells) else None for _l, cells in sheet.rows]

    def _load_communes(self, sheet) -> None:
        keys = ("commune", "organization_commune")
        texts = {cell_text(v).strip() for key in keys for v in self._cells(sheet, key) if v not in (None, "")}
        codes = {t for t in texts if _INSEE.match(t)}
        self.communes = {
            c.insee_code: c for c in Commune.objects.filter(insee_code__in=codes).select_related("departement")
        }
        self.territory_codes: set[str] = set()
        by_name: dict[str, list[Commune]] = {}
        if self.territory is not None:
            for commune in self.territory.communes.select_related("departement"):
                self.territory_codes.add(commune.insee_code)
                by_name.setdefault(normalize(commune.name), []).append(commune)
        names = {normalize(t) for t in texts if not _INSEE.match(t)}
        if names:
            for commune in Commune.objects.filter(search_name__in=names).select_related("departement"):
                if commune.insee_code not in self.territory_codes:
                    by_name.setdefault(normalize(commune.name), []).append(commune)
        self.communes_by_name = by_name

    def commune(self, value) -> Commune | str | None:
        """A commune by INSEE code or by name (« Cluny », « Cluny (71) »), the territory's first."""
        text = cell_text(value).strip()
        if not text:
            return None
        if text in self.communes:
            return self.communes[text]
        match = re.fullmatch(r"(.+?)\s*\((\w{2,3})\)", text)
        name, departement = (match.group(1), match.group(2).upper()) if match else (text, "")
        candidates = self.communes_by_name.get(normalize(name), [])
        if departement:
            candidates = [c for c in candidates if c.departement.code == departement]
        mine = [c for c in candidates if c.insee_code in self.territory_codes]
        chosen = mine if len(mine) == 1 else candidates
        return chosen[0] if len(chosen) == 1 else text

    def _load_organizations(self, sheet) -> None:
        sirets = {str(shape(Column("s", "s"), v) or "").replace(" ", "") for v in self._cells(sheet, "siret")}
        sirets |= {
            str(shape(Column("s", "s"), v) or "").replace(" ", "") for v in self._cells(sheet, "organization_siret")
        }
        sirets.discard("")
        self.by_siret = {o.siret: o for o in Organization.objects.filter(siret__in=sirets).select_related("commune")}
        commune_ids = {c.pk for c in self.communes.values()} | {
            c.pk for group in self.communes_by_name.values() for c in group
        }
        self.by_name = {
            (normalize(o.name), o.commune_id): o
            for o in Organization.objects.filter(commune_id__in=commune_ids).select_related("commune")
        }

    def _candidates(self) -> list[Organization]:
        """The existing organizations a line may name."""
        found = {o.pk: o for o in self.by_siret.values()}
        found.update((o.pk, o) for o in self.by_name.values())
        return list(found.values())

    def profile_of(self, organization: Organization):
        """An existing organization's profile (None: it has none), every candidate's loaded at
        the first one asked (a file of new actors loads none)."""
        if self._profiles is None:
            candidates = self._candidates()
            farms = [o.pk for o in candidates if o.kind == Organization.Kind.FARM]
            structures = [o.pk for o in candidates if o.kind == Organization.Kind.FOOD_AID]
            self._profiles = {p.organization_id: p for p in FarmProfile.objects.filter(organization_id__in=farms)}
            self._profiles.update(
                (p.organization_id, p) for p in StructureProfile.objects.filter(organization_id__in=structures)
            )
        return self._profiles.get(organization.pk)

    def category(self, code):
        """A product category by its code, every category loaded at the first asked (the input
        then looks none up); an unknown code (or an id) stays as typed, for the input to resolve
        or refuse with its own message."""
        if self._categories is None:
            self._categories = {c.code: c for c in ProductCategory.objects.select_related("parent")}
        return self._categories.get(code.strip(), code) if isinstance(code, str) else code

    def rights(self):
        """Who may edit which of the organizations the file may name (an offer's or a need's
        owner): the rule of ``can_edit_organization``, loaded at the first line asked."""
        if self._rights is None:
            self._rights = edit_rights(self.principal, self._candidates())
        return self._rights

    def existing(self, siret: str, name: str, commune) -> Organization | None:
        if siret and siret in self.by_siret:
            return self.by_siret[siret]
        if isinstance(commune, Commune) and name:
            return self.by_name.get((normalize(name), commune.pk))
        return None

    # -- one line

    def error(self, line: int, key: str | None, reason: str, value=None) -> dict:
        index = self.by_key.get(key) if key else None
        return {
            "line": line,
            "column": self.headers[index] if index is not None else "",
            "value": cell_text(value) if value is not None else "",
            "reason": str(reason),
        }

    def _values(self, cells) -> tuple[dict, dict]:
        """The line as the input's mapping (nested profiles), and each field's raw cell."""
        values: dict = {}
        raw: dict = {}
        for index, column in self.found.items():
            cell = cells[index] if index < len(cells) else None
            raw[column.key] = cell
            shaped = shape(column, cell)
            if shaped is None:
                continue
            if column.key in ("farm_profile.productions", "categories") and isinstance(shaped, list):
                shaped = [self.category(code) for code in shaped]
            elif column.key == "category":
                shaped = self.category(shaped)
            if "." in column.key:
                group, name = column.key.split(".", 1)
                values.setdefault(group, {})[name] = shaped
            else:
                values[column.key] = shaped
        return values, raw

    def _domain_errors(self, line: int, error: DomainError, raw: dict) -> list[dict]:
        if not error.fields:
            return [self.error(line, None, error.message)]
        out = []
        for field, messages in error.fields.items():
            key = re.sub(r"\.\d+$", "", field)
            key = key if key in self.by_key else None
            for message in messages:
                reason = message if key or field in ("non_field_errors",) else f"{field} : {message}"
                out.append(self.error(line, key, reason, raw.get(key) if key else None))
        return out

    def line(self, line: int, cells) -> tuple[list[dict], str | None]:
        """One line checked; nothing is written here."""
        values, raw = self._values(cells)
        try:
            if self.spec.kind in KIND_OF:
                outcome, errors = self._organization(line, values, raw)
            else:
                outcome, errors = self._listing(line, values, raw)
        except DomainError as error:
            outcome, errors = None, self._domain_errors(line, error, raw)
        return (errors, None) if errors else ([], outcome)

    def _in_territory(self, line: int, commune, key: str, raw: dict) -> list[dict]:
        if self.staff or not isinstance(commune, Commune) or commune.insee_code in self.territory_codes:
            return []
        message = _("La commune « %(commune)s » n'est pas dans le territoire « %(territory)s ».") % {
            "commune": commune.name,
            "territory": self.territory.name if self.territory else "",
        }
        return [self.error(line, key, message, raw.get(key))]

    def _organization(self, line: int, values: dict, raw: dict):
        commune = self.commune(values.get("commune"))
        if commune is not None:
            values["commune"] = commune
        errors = self._in_territory(line, commune, "commune", raw)
        siret = str(values.get("siret") or "").replace(" ", "").replace("\u00a0", "")
        key = ("siret", siret) if siret else ("name", normalize(str(values.get("name") or "")), str(commune))
        duplicate = key in self.seen
        if duplicate:
            errors.append(
                self.error(
                    line,
                    "siret" if siret else "name",
                    _("Même acteur que la ligne %(line)s (même SIRET, ou même nom dans la même commune).")
                    % {"line": self.seen[key]},
                    raw.get("siret" if siret else "name"),
                )
            )
        else:
            self.seen[key] = line
        existing = self.existing(siret, str(values.get("name") or ""), commune)
        if existing is not None and self.batch.on_duplicate == ImportBatch.OnDuplicate.SKIP:
            return ("skipped", errors)
        if existing is not None and existing.pk in self.change_line and not duplicate:
            # An actor a line above changes already, named the other way (SIRET, name).
            errors.append(
                self.error(
                    line,
                    "siret" if siret else "name",
                    _("Même acteur que la ligne %(line)s (même SIRET, ou même nom dans la même commune).")
                    % {"line": self.change_line[existing.pk]},
                    raw.get("siret" if siret else "name"),
                )
            )
        if existing is not None and existing.pk is None and not duplicate:
            # The same actor as a line above (one found by SIRET, the other by name), which is
            # not written yet: the two lines cannot both set its values.
            errors.append(
                self.error(
                    line,
                    "siret" if siret else "name",
                    _("Même acteur que la ligne %(line)s (même SIRET, ou même nom dans la même commune).")
                    % {"line": self.pending_line[id(existing)]},
                    raw.get("siret" if siret else "name"),
                )
            )
        if existing is not None:
            data = organization_data(values, partial=True)
        else:
            data = organization_data({**values, "kind": KIND_OF[self.spec.kind]})
        if data.errors:
            return (None, errors + self._domain_errors(line, data.errors.error(), raw))
        if errors:
            return (None, errors)
        if existing is not None:
            change = actor_services.organization_change(
                scope=self.scope,
                organization=existing,
                data=data,
                profile=self.profile_of(existing),
                locate=False,
                relocate_town_hall=True,  # located by ``geocode`` with the new actors
            )
            self.changes.append(change)
            self.change_line[existing.pk] = line
            return ("updated", [])
        prepared = actor_services.organization_prepare(scope=self.scope, data=data, locate=False)
        organization = prepared.organization
        self.pending.append(prepared)
        self.pending_line[id(organization)] = line
        self.by_name[(normalize(organization.name), organization.commune_id)] = organization
        if organization.siret:
            self.by_siret[organization.siret] = organization
        return ("created", [])

    def _owner(self, line: int, values: dict, raw: dict):
        siret = str(values.pop("organization_siret", "") or "").replace(" ", "")
        name = str(values.pop("organization_name", "") or "")
        commune = self.commune(values.pop("organization_commune", None))
        organization = self.existing(siret, name, commune)
        if organization is None:
            key = "organization_siret" if siret else "organization_name"
            return None, [
                self.error(
                    line,
                    key,
                    _("Organisation introuvable : donnez son SIRET, ou son nom et sa commune, comme sur MIAM."),
                    raw.get(key),
                )
            ]
        return organization, []

    def _listing(self, line: int, values: dict, raw: dict):
        organization, errors = self._owner(line, values, raw)
        data = offer_data(values) if self.spec.kind == "offers" else need_data(values)
        if data.errors:
            errors = errors + self._domain_errors(line, data.errors.error(), raw)
        if errors:
            return (None, errors)
        common = {"by": self.principal, "organization": organization, "data": data, "today": self.today}
        if self.spec.kind == "offers":
            listing = listings.offer_prepare(**common, rights=self.rights())
        else:
            profile = self.profile_of(organization)
            profile = profile if isinstance(profile, StructureProfile) else None
            listing = listings.need_prepare(**common, rights=self.rights(), profile=profile)
            self.categories.append(data.categories or [])
        self.listings.append(listing)
        return ("created", [])


# --- Reports and templates ----------------------------------------------------------------------


def batch_error_report(batch: ImportBatch) -> exports.Export:
    """Every error of a batch, one per line and column, for a spreadsheet (and its warnings:
    a batch written with addresses the geocoder did not find has those and no error)."""
    rows = [[e["line"], e["column"], e["value"], e["reason"]] for e in [*batch.errors, *batch.warnings]]
    if batch.file_error:
        rows.insert(0, ["", "", "", batch.file_error])
    return exports.Export(
        title=_("Erreurs"),
        meta=[[_("Fichier"), batch.filename], [_("Envoyé le"), batch.created_at]],
        tables=[exports.Table(columns=[_("Ligne"), _("Colonne"), _("Valeur"), _("Raison")], rows=rows)],
    )


def template_file(kind: str, *, fmt: str) -> bytes:
    spec = SPECS[kind]
    headers = [str(column.header) for column in spec.columns]
    example = [column.example for column in spec.columns]
    return reading.write_template(headers, [example], fmt=fmt)


def batch_list(*, principal, territory: Territory | None = None):
    """The imports a person may see: staff all, an officer their territory's."""
    qs = ImportBatch.objects.select_related("territory", "created_by").defer("content")
    if territory is not None:
        qs = qs.filter(territory=territory)
    if not is_staff(principal):
        from actors.permissions import officer_territory_ids

        qs = qs.filter(territory_id__in=officer_territory_ids(principal))
    return qs.order_by("-created_at", "-id")
