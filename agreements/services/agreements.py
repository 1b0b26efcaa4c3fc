"""Season agreements: draft → proposed → signed by each side → active → suspended → ended.

Each side signs for itself (a member of the farm, a member of each structure); an officer of
the territory may draft, propose, start, suspend or end an agreement on the parties' behalf,
never sign it. Starting it writes its occurrences as confirmed, scheduled matches
(``offers.services.planned``), which reserve the farm's planned production and count in each
structure's monthly budget; one occurrence may be skipped, moved or resized; ending it removes
only the occurrences from its end date on that are not delivered. Every step is a history row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from actors import permissions
from actors.models import PRODUCER_KINDS, RECIPIENT_KINDS, Membership, Organization
from actors.services import notify
from agreements import recurrence
from agreements.events import agreement_event
from agreements.inputs import AgreementData
from agreements.models import AgreementEvent, AgreementParty, Occurrence, SupplyAgreement
from agreements.services import funding
from miam import events
from miam.dispatch import dispatch
from miam.errors import DomainError, NotAllowed, refused
from miam.formatting import long_date
from miam.inputs import FieldErrors
from offers.models import Logistics, Offer
from offers.services import budget, listings, planned

ST = SupplyAgreement.Status
CENT = Decimal("0.01")


# --- Who may do what -----------------------------------------------------------------------


def agreement_organizations(agreement: SupplyAgreement) -> list[Organization]:
    return [agreement.farm, *[p.structure for p in agreement.parties.select_related("structure__commune")]]


def can_see(principal, agreement: SupplyAgreement) -> bool:
    """The parties, and the officers and viewers of a party's territory."""
    if permissions.is_staff(principal):
        return True
    orgs = agreement_organizations(agreement)
    if {o.pk for o in orgs} & permissions.member_organization_ids(principal):
        return True
    territories = permissions.viewer_territory_ids(principal)
    return bool(territories) and any(o.commune.territories.filter(id__in=territories).exists() for o in orgs)


def _require_help(by, agreement_or_orgs) -> None:
    """A party's member, or an officer of a party's territory."""
    permissions.require_write(by)
    orgs = agreement_or_orgs if isinstance(agreement_or_orgs, list) else agreement_organizations(agreement_or_orgs)
    if not any(permissions.can_edit_organization(by, o) for o in orgs):
        raise NotAllowed(_("Vous ne pouvez agir que sur les conventions de vos organisations ou de votre territoire."))


def _require_status(agreement: SupplyAgreement, allowed, action: str) -> None:
    if agreement.status not in allowed:
        raise DomainError(
            "invalid_status",
            _("On ne peut pas %(action)s une convention au statut « %(status)s ».")
            % {"action": action, "status": agreement.get_status_display()},
        )


def _event(agreement, by, action: str, before: str, note: str = "") -> None:
    """A step of the agreement's history, and its domain event (``agreements.events``)."""
    AgreementEvent.objects.create(
        agreement=agreement,
        by=permissions.as_user(by),
        action=action,
        from_status=before,
        to_status=agreement.status,
        note=note[:300],
    )
    if events.wanted(f"agreement.{action}"):
        structure_ids = AgreementParty.objects.filter(agreement=agreement).values_list("structure_id", flat=True)
        agreement_event(agreement, action, structure_ids=list(structure_ids))


def _lock(agreement: SupplyAgreement) -> SupplyAgreement:
    return (
        SupplyAgreement.objects.select_for_update(of=("self",))
        .select_related("farm__commune", "category", "funding_line__funder")
        .get(pk=agreement.pk)
    )


# --- Rules ---------------------------------------------------------------------------------


def _euros(value: Decimal) -> str:
    from django.utils.formats import number_format

    return number_format(value.quantize(CENT), decimal_pos=2, use_l10n=True)


def _check(data: AgreementData) -> tuple[FieldErrors, list[dt.date]]:
    """Every rule over several fields or the database; the dates of the recurrence."""
    errors = data.errors.copy()
    if data.farm is not None and data.farm.kind not in PRODUCER_KINDS:
        errors.add("farm", _("Seule une ferme ou un transformateur peut fournir."), "not_a_farm")
    for structure in data.structures:
        if structure.kind not in RECIPIENT_KINDS:
            errors.add(
                "structures",
                _("« %(name)s » n'est pas une structure d'aide alimentaire.") % {"name": structure},
                "not_a_structure",
            )
    days: list[dt.date] = []
    if data.start_date and data.end_date:
        if data.end_date < data.start_date:
            errors.add(
                "end_date",
                _("La période se termine (%(end)s) avant de commencer (%(start)s).")
                % {"end": long_date(data.end_date), "start": long_date(data.start_date)},
                "period_reversed",
            )
        elif data.recurrence:
            days = recurrence.dates(data.recurrence[0], data.start_date, data.end_date)
            if not days:
                errors.add(
                    "recurrence",
                    _("Cette récurrence (« %(rule)s ») ne donne aucune livraison entre le %(start)s et le %(end)s.")
                    % {
                        "rule": data.recurrence[1],
                        "start": long_date(data.start_date),
                        "end": long_date(data.end_date),
                    },
                    "no_occurrence",
                )
    fair, paid = data.fair_price_per_unit, data.price_paid_per_unit
    if fair is not None and paid is not None and paid > fair:
        errors.add(
            "price_paid_per_unit",
            _("Le prix payé par la structure (%(paid)s €) ne peut dépasser le prix juste au producteur (%(fair)s €).")
            % {"paid": _euros(paid), "fair": _euros(fair)},
            "paid_above_fair",
        )
    line = data.funding_line
    if line is not None:
        if fair is not None and paid is not None and fair == paid:
            errors.add("funding_line", _("Il n'y a pas d'écart de prix à financer."), "no_gap")
        if (
            data.start_date
            and data.end_date
            and (line.period_end < data.start_date or line.period_start > data.end_date)
        ):
            errors.add(
                "funding_line",
                _("La ligne de financement « %(line)s » ne couvre pas la période de la convention.") % {"line": line},
                "funding_period",
            )
        if data.category is not None and line.categories.exists():
            family = {data.category.pk, data.category.parent_id}
            if not line.categories.filter(pk__in=[f for f in family if f]).exists():
                errors.add(
                    "funding_line",
                    _("La ligne de financement « %(line)s » ne finance pas cette catégorie.") % {"line": line},
                    "funding_category",
                )
        if data.structures and line.structures.exists():
            eligible = set(line.structures.values_list("pk", flat=True))
            if any(s.pk not in eligible for s in data.structures):
                errors.add(
                    "funding_line",
                    _("La ligne de financement « %(line)s » ne finance pas toutes ces structures.") % {"line": line},
                    "funding_structure",
                )
    return errors, days


# --- Writing an agreement ------------------------------------------------------------------


@transaction.atomic
def agreement_create(*, by, data: AgreementData) -> SupplyAgreement:
    """A draft agreement, by a party's member or an officer of a party's territory."""
    permissions.require_write(by)
    errors, _days = _check(data)
    if data.farm is not None and data.structures:
        _require_help(by, [data.farm, *data.structures])
    errors.raise_if_any()
    rule, label = data.recurrence
    agreement = SupplyAgreement.objects.create(
        farm=data.farm,
        category=data.category,
        product_name=data.product_name,
        unit=data.unit or "kg",
        pack_size=data.pack_size,
        quantity_per_delivery=data.quantity_per_delivery,
        recurrence=rule,
        recurrence_label=label,
        start_date=data.start_date,
        end_date=data.end_date,
        fair_price_per_unit=data.fair_price_per_unit,
        price_paid_per_unit=data.price_paid_per_unit,
        usual_price_per_unit=data.usual_price_per_unit,
        household_price_per_unit=data.household_price_per_unit,
        carrier=data.carrier,
        transport_payer=data.transport_payer,
        transport_cost_eur=data.transport_cost_eur or 0,
        funding_line=data.funding_line,
        created_by=permissions.as_user(by),
    )
    AgreementParty.objects.bulk_create([AgreementParty(agreement=agreement, structure=s) for s in data.structures])
    _event(agreement, by, "created", "")
    return agreement


#: What an edit may change, and how a field of the agreement reads back into its input.
EDITABLE = (
    "farm",
    "structures",
    "category",
    "product_name",
    "unit",
    "pack_size",
    "quantity_per_delivery",
    "recurrence",
    "start_date",
    "end_date",
    "fair_price_per_unit",
    "price_paid_per_unit",
    "usual_price_per_unit",
    "household_price_per_unit",
    "carrier",
    "transport_payer",
    "transport_cost_eur",
    "funding_line",
)


def _current(agreement: SupplyAgreement) -> dict:
    values = {name: getattr(agreement, name) for name in EDITABLE if name not in ("structures", "recurrence")}
    values["structures"] = [p.structure for p in agreement.parties.select_related("structure").order_by("id")]
    values["recurrence"] = (agreement.recurrence, agreement.recurrence_label)
    return values


def agreement_initial(agreement: SupplyAgreement) -> dict:
    """The agreement as the values of its input (the edit page starts from them)."""
    values = _current(agreement)
    initial = {name: value for name, value in values.items() if name not in ("structures", "recurrence")}
    for name in ("farm", "carrier", "transport_payer", "funding_line"):
        initial[name] = getattr(agreement, f"{name}_id")
    initial["category"] = agreement.category_id
    initial["structures"] = [s.pk for s in values["structures"]]
    initial["recurrence"] = agreement.recurrence_label or agreement.recurrence
    return initial


def editable(agreement: SupplyAgreement) -> bool:
    """A draft, or a proposed agreement no one has signed yet."""
    if agreement.status == ST.DRAFT:
        return True
    return (
        agreement.status == ST.PROPOSED
        and agreement.farm_signed_at is None
        and not agreement.parties.filter(signed_at__isnull=False).exists()
    )


@transaction.atomic
def agreement_update(*, by, agreement: SupplyAgreement, data: AgreementData) -> SupplyAgreement:
    """Change a draft, or a proposed agreement before any signature (the fields given in
    ``data``; the others stay). A signed agreement is not edited: it is suspended or ended."""
    permissions.require_write(by)
    agreement = _lock(agreement)
    _require_help(by, agreement)
    parties = list(AgreementParty.objects.select_for_update().filter(agreement=agreement))
    if agreement.status not in (ST.DRAFT, ST.PROPOSED) or agreement.farm_signed_at or any(p.signed_at for p in parties):
        raise DomainError(
            "not_editable",
            _(
                "Une convention signée, même par une seule partie, ne se modifie plus : suspendez-la ou "
                "terminez-la, puis rédigez-en une nouvelle."
            ),
        )
    before = _current(agreement)
    given = {name for name in data.given if name in EDITABLE}
    merged = {name: (getattr(data, name) if name in given else before[name]) for name in EDITABLE}
    merged_data = AgreementData(**merged, given=frozenset(EDITABLE), errors=data.errors)
    errors, _days = _check(merged_data)
    if merged_data.farm is not None and merged_data.structures:
        _require_help(by, [merged_data.farm, *merged_data.structures])
    errors.raise_if_any()
    changed = [name for name in EDITABLE if merged[name] != before[name]]
    if not changed:
        return agreement
    for name in changed:
        if name == "structures":
            continue
        if name == "recurrence":
            agreement.recurrence, agreement.recurrence_label = merged["recurrence"]
        elif name == "unit":
            agreement.unit = merged["unit"] or "kg"
        elif name == "transport_cost_eur":
            agreement.transport_cost_eur = merged["transport_cost_eur"] or 0
        else:
            setattr(agreement, name, merged[name])
    agreement.save()
    if "structures" in changed:
        wanted = {s.pk for s in merged["structures"]}
        AgreementParty.objects.filter(agreement=agreement).exclude(structure_id__in=wanted).delete()
        have = {p.structure_id for p in parties}
        AgreementParty.objects.bulk_create(
            [AgreementParty(agreement=agreement, structure=s) for s in merged["structures"] if s.pk not in have]
        )
    if agreement.preorder_offer_id and {"quantity_per_delivery", "recurrence", "start_date", "end_date"} & set(changed):
        preorder_hold(agreement, _preorder_total(agreement))
    labels = [str(SupplyAgreement._meta.get_field(name).verbose_name) for name in changed]
    _event(agreement, by, "updated", agreement.status, _("modifié : %(fields)s") % {"fields": ", ".join(labels)})
    return agreement


def _transition(by, agreement, allowed, to: str, action: str, label: str, note: str = "") -> SupplyAgreement:
    agreement = _lock(agreement)
    _require_help(by, agreement)
    _require_status(agreement, allowed, label)
    before = agreement.status
    agreement.status = to
    agreement.save(update_fields=["status", "updated_at"])
    _event(agreement, by, action, before, note)
    return agreement


@transaction.atomic
def agreement_propose(*, by, agreement: SupplyAgreement) -> SupplyAgreement:
    agreement = _transition(by, agreement, (ST.DRAFT,), ST.PROPOSED, "proposed", _("proposer"))
    _notify_parties(agreement, lambda: _("Convention à signer : %(product)s") % {"product": agreement.product_name})
    return agreement


def _costs_by_month(agreement: SupplyAgreement, days: list[dt.date]) -> dict[dt.date, Decimal]:
    costs: dict[dt.date, Decimal] = defaultdict(Decimal)
    for day in days:
        costs[day.replace(day=1)] += agreement.quantity_per_delivery * agreement.price_paid_per_unit
    return {month: cost.quantize(CENT) for month, cost in costs.items()}


def _dates(agreement: SupplyAgreement, *, since: dt.date | None = None) -> list[dt.date]:
    days = recurrence.dates(agreement.recurrence, agreement.start_date, agreement.end_date)
    return [d for d in days if since is None or d >= since]


# --- Pre-orders: the quantity held on the farm's published offer ------------------------------


def _preorder_total(agreement: SupplyAgreement) -> Decimal:
    return agreement.quantity_per_delivery * len(_dates(agreement))


def _quantity(value: Decimal) -> str:
    from django.utils.formats import number_format

    return number_format(value.normalize(), use_l10n=True)


def preorder_hold(agreement: SupplyAgreement, total: Decimal) -> None:
    """The pre-order holds ``total`` of its offer (more, or less given back), under the offer's
    row lock: what it holds is no longer available to matching; more than is left is refused
    (``offer_exhausted``, 409), nothing written."""
    if agreement.preorder_offer_id is None:
        return
    change = total - agreement.preorder_quantity_held
    if change > 0:
        offer = Offer.objects.select_for_update().get(pk=agreement.preorder_offer_id)
        if change > offer.quantity_available:
            message = _("Il reste %(left)s %(unit)s de cette production, pas %(asked)s.") % {
                "left": _quantity(offer.quantity_available + agreement.preorder_quantity_held),
                "unit": offer.get_unit_display(),
                "asked": _quantity(total),
            }
            raise DomainError("offer_exhausted", message, fields={"quantity_per_delivery": message})
    if change:
        listings.offer_quantity_hold(offer_id=agreement.preorder_offer_id, change=change)
    agreement.preorder_quantity_held = total
    SupplyAgreement.objects.filter(pk=agreement.pk).update(preorder_quantity_held=total)


def _preorder_release(agreement: SupplyAgreement) -> None:
    """A pre-order ended before it started gives its offer back what it held."""
    if agreement.preorder_offer_id and agreement.preorder_quantity_held:
        listings.offer_quantity_hold(offer_id=agreement.preorder_offer_id, change=-agreement.preorder_quantity_held)
    agreement.preorder_quantity_held = Decimal(0)


@transaction.atomic
def agreement_sign(
    *, by, agreement: SupplyAgreement, organization: Organization | None = None, today: dt.date | None = None
) -> SupplyAgreement:
    """One side signs for itself: a member of the farm or of a structure, never someone on
    their behalf. A structure signs only what its monthly budget can pay, month by month."""
    permissions.require_write(by)
    agreement = _lock(agreement)
    _require_status(agreement, (ST.PROPOSED,), _("signer"))
    own = permissions.member_organization_ids(by)
    parties = {p.structure_id: p for p in agreement.parties.select_for_update().select_related("structure")}
    unsigned = []
    if agreement.farm_signed_at is None and agreement.farm_id in own:
        unsigned.append(agreement.farm_id)
    unsigned += [sid for sid, p in parties.items() if p.signed_at is None and sid in own]
    if organization is not None:
        unsigned = [o for o in unsigned if o == organization.pk]
    if not unsigned:
        if not ({agreement.farm_id, *parties} & own):
            raise NotAllowed(
                _("Chaque partie signe pour elle-même : seul un membre de la ferme ou de la structure peut signer.")
            )
        raise DomainError("already_signed", _("Votre organisation a déjà signé cette convention."))
    if len(unsigned) > 1:
        raise DomainError(
            "organization_required",
            _("Indiquez pour quelle organisation vous signez."),
            fields={"organization": _("Ce champ est obligatoire.")},
        )
    signer = unsigned[0]
    now = timezone.now()
    if signer == agreement.farm_id:
        agreement.farm_signed_at, agreement.farm_signed_by = now, permissions.as_user(by)
        who = agreement.farm
    else:
        today = today or timezone.localdate()
        budget.budget_check_series(
            structure_id=signer, costs=_costs_by_month(agreement, _dates(agreement, since=today)), lock=True
        )
        party = parties[signer]
        party.signed_at, party.signed_by = now, permissions.as_user(by)
        party.save(update_fields=["signed_at", "signed_by"])
        who = party.structure
    before = agreement.status
    if agreement.farm_signed_at and all(p.signed_at for p in parties.values()):
        agreement.status = ST.SIGNED
        # The planned gap of the whole agreement is promised now, so no one else is promised it.
        agreement.funding_reserved_eur = funding.funding_reserve(
            agreement=agreement,
            amount=_planned_gap(agreement, _dates(agreement, since=today or timezone.localdate()), parties),
        )
    agreement.save(update_fields=["status", "farm_signed_at", "farm_signed_by", "funding_reserved_eur", "updated_at"])
    _event(agreement, by, "signed", before, str(who))
    return agreement


def _planned_gap(agreement: SupplyAgreement, days: list[dt.date], structure_ids) -> Decimal:
    """What the agreement's funding line will pay for these deliveries, all structures."""
    if agreement.funding_line is None:
        return Decimal(0)
    return funding.planned_gap(line=agreement.funding_line, agreement=agreement, days=days, structure_ids=structure_ids)


def _mode(agreement: SupplyAgreement, structure_id: int) -> str:
    if agreement.carrier_id == agreement.farm_id:
        return Logistics.DELIVERY
    if agreement.carrier_id == structure_id:
        return Logistics.PICKUP
    return Logistics.PARTNER


@transaction.atomic
def agreement_activate(*, by, agreement: SupplyAgreement, today: dt.date | None = None) -> SupplyAgreement:
    """Signed → active: its occurrences from today on become confirmed, scheduled matches."""
    today = today or timezone.localdate()
    agreement = _lock(agreement)
    _require_help(by, agreement)
    _require_status(agreement, (ST.SIGNED,), _("démarrer"))
    days = _dates(agreement, since=today)
    if not days:
        raise DomainError(
            "no_occurrence", _("Il ne reste aucune livraison à venir dans la période de cette convention.")
        )
    parties = list(agreement.parties.select_related("structure"))
    costs = _costs_by_month(agreement, days)
    for party in parties:
        budget.budget_check_series(structure_id=party.structure_id, costs=costs, lock=True)
    deliveries = [
        planned.PlannedDelivery(structure=p.structure, date=d, quantity=agreement.quantity_per_delivery)
        for d in days
        for p in parties
    ]
    offer, matches = planned.planned_series_create(
        farm=agreement.farm,
        category=agreement.category,
        product_name=agreement.product_name,
        unit=agreement.unit,
        pack_size=agreement.pack_size,
        price_per_unit=agreement.price_paid_per_unit,
        usual_price_per_unit=agreement.usual_price_per_unit,
        mode=_mode(agreement, parties[0].structure_id),
        start=agreement.start_date,
        end=agreement.end_date,
        deliveries=deliveries,
        by=permissions.as_user(by),
    )
    occurrences = [
        Occurrence(
            agreement=agreement,
            structure=item.structure,
            planned_for=item.date,
            date=item.date,
            quantity=item.quantity,
            match=match,
            funding_reserved_eur=_planned_gap(agreement, [item.date], [item.structure.pk]),
        )
        for item, match in zip(deliveries, matches, strict=True)
    ]
    Occurrence.objects.bulk_create(occurrences)
    if agreement.preorder_offer_id and agreement.preorder_quantity_held:
        # The pre-order's hold becomes these deliveries: it leaves the farm's published offer
        # (the agreement's planned production carries it); what was held for days already past
        # is available again.
        listings.offer_hold_convert(
            offer_id=agreement.preorder_offer_id,
            held=agreement.preorder_quantity_held,
            moved=sum((d.quantity for d in deliveries), Decimal(0)),
        )
        agreement.preorder_quantity_held = Decimal(0)
    # The agreement's reservation now lives on its occurrences; what was promised for days
    # already past (signed earlier, started later) goes back to the line.
    held = sum((o.funding_reserved_eur for o in occurrences), Decimal(0))
    if held > agreement.funding_reserved_eur:
        funding.funding_reserve(agreement=agreement, amount=held - agreement.funding_reserved_eur)
    else:
        funding.funding_release(line_id=agreement.funding_line_id, amount=agreement.funding_reserved_eur - held)
    before = agreement.status
    agreement.status, agreement.offer, agreement.funding_reserved_eur = ST.ACTIVE, offer, Decimal(0)
    agreement.save(update_fields=["status", "offer", "funding_reserved_eur", "preorder_quantity_held", "updated_at"])
    _event(agreement, by, "activated", before, _("%(count)d livraisons planifiées") % {"count": len(matches)})
    _notify_parties(agreement, lambda: _("Convention en cours : %(product)s") % {"product": agreement.product_name})
    return agreement


def _future(agreement: SupplyAgreement, since: dt.date):
    return (
        Occurrence.objects.select_for_update(of=("self",))
        .filter(agreement=agreement, date__gte=since, match__isnull=False)
        .select_related("match")
        .filter(match__status__in=planned.CHANGEABLE)
    )


@transaction.atomic
def agreement_suspend(
    *, by, agreement: SupplyAgreement, today: dt.date | None = None, note: str = ""
) -> SupplyAgreement:
    """Active → suspended: the occurrences to come release their reservation until it resumes."""
    today = today or timezone.localdate()
    agreement = _transition(by, agreement, (ST.ACTIVE,), ST.SUSPENDED, "suspended", _("suspendre"), note)
    future = list(_future(agreement, today).values_list("pk", "match_id"))
    Occurrence.objects.filter(pk__in=[pk for pk, _m in future]).update(match=None)
    planned.planned_matches_remove(offer=agreement.offer, match_ids=[m for _pk, m in future])
    return agreement


@transaction.atomic
def agreement_resume(*, by, agreement: SupplyAgreement, today: dt.date | None = None) -> SupplyAgreement:
    """Suspended → active: the planned occurrences to come are matches again."""
    today = today or timezone.localdate()
    agreement = _transition(by, agreement, (ST.SUSPENDED,), ST.ACTIVE, "resumed", _("reprendre"))
    waiting = list(
        Occurrence.objects.select_for_update()
        .filter(agreement=agreement, status=Occurrence.Status.PLANNED, match__isnull=True, date__gte=today)
        .select_related("structure")
    )
    by_structure: dict[int, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for occurrence in waiting:
        by_structure[occurrence.structure_id][occurrence.date.replace(day=1)] += (
            occurrence.quantity * agreement.price_paid_per_unit
        )
    for structure_id, costs in by_structure.items():
        budget.budget_check_series(structure_id=structure_id, costs=dict(costs), lock=True)
    if waiting:
        matches = planned.planned_matches_add(
            offer=agreement.offer,
            deliveries=[
                planned.PlannedDelivery(structure=o.structure, date=o.date, quantity=o.quantity) for o in waiting
            ],
        )
        for occurrence, match in zip(waiting, matches, strict=True):
            Occurrence.objects.filter(pk=occurrence.pk).update(match=match)
    return agreement


@transaction.atomic
def agreement_end(*, by, agreement: SupplyAgreement, on: dt.date, today: dt.date | None = None) -> SupplyAgreement:
    """The agreement ends on ``on``: the occurrences from that day on that are not delivered
    are removed (their matches too); those before stay, delivered or to be delivered."""
    agreement = _lock(agreement)
    _require_help(by, agreement)
    _require_status(agreement, (ST.ACTIVE, ST.SUSPENDED, ST.SIGNED, ST.PROPOSED), _("terminer"))
    future = list(_future(agreement, on).values_list("pk", "match_id", "funding_reserved_eur"))
    waiting = Occurrence.objects.filter(agreement=agreement, date__gte=on, match__isnull=True)
    released = sum((r for _pk, _m, r in future), Decimal(0)) + sum(
        waiting.filter(status=Occurrence.Status.PLANNED).values_list("funding_reserved_eur", flat=True), Decimal(0)
    )
    removed = Occurrence.objects.filter(pk__in=[pk for pk, _m, _r in future]).delete()[0]
    if agreement.offer_id:
        planned.planned_matches_remove(offer=agreement.offer, match_ids=[m for _pk, m, _r in future])
    removed += waiting.delete()[0]
    # A signed agreement never started gives back all it held; a started one, what it removed.
    funding.funding_release(line_id=agreement.funding_line_id, amount=released + agreement.funding_reserved_eur)
    # A pre-order cancelled before it started gives its offer back what it held.
    _preorder_release(agreement)
    before = agreement.status
    agreement.status, agreement.ended_on, agreement.funding_reserved_eur = ST.ENDED, on, Decimal(0)
    agreement.save(update_fields=["status", "ended_on", "funding_reserved_eur", "preorder_quantity_held", "updated_at"])
    _event(
        agreement,
        by,
        "ended",
        before,
        _("terminée le %(date)s, %(count)d livraisons à venir retirées") % {"date": long_date(on), "count": removed},
    )
    _notify_parties(agreement, lambda: _("Convention terminée : %(product)s") % {"product": agreement.product_name})
    return agreement


@transaction.atomic
def party_invoicing_update(
    *, by, agreement: SupplyAgreement, structure: Organization, service_code: str = "", commitment_number: str = ""
) -> AgreementParty:
    """A public buyer's invoicing references (Chorus Pro): the structure itself or an officer."""
    party = AgreementParty.objects.select_for_update().filter(agreement=agreement, structure=structure).first()
    if party is None:
        raise DomainError("not_found", _("Cette structure n'est pas partie à la convention."))
    _require_help(by, [structure])
    party.service_code = (service_code or "").strip()[:100]
    party.commitment_number = (commitment_number or "").strip()[:50]
    party.save(update_fields=["service_code", "commitment_number"])
    _event(agreement, by, "invoicing_updated", agreement.status, str(structure))
    return party


# --- One occurrence ------------------------------------------------------------------------


def _occurrence(occurrence: Occurrence) -> Occurrence:
    occurrence = (
        Occurrence.objects.select_for_update(of=("self",))
        .select_related("agreement__funding_line__funder", "agreement__category", "match", "structure")
        .get(pk=occurrence.pk)
    )
    if occurrence.agreement.status != ST.ACTIVE:
        raise DomainError(
            "invalid_status",
            _("La convention n'est pas en cours : ses livraisons ne peuvent pas être modifiées."),
        )
    if occurrence.match is None or occurrence.status != Occurrence.Status.PLANNED:
        raise DomainError("occurrence_done", _("Cette livraison n'est plus prévue."))
    return occurrence


@transaction.atomic
def occurrence_skip(*, by, occurrence: Occurrence, note: str = "") -> Occurrence:
    """This one delivery will not take place; the series goes on."""
    occurrence = _occurrence(occurrence)
    _require_help(by, [occurrence.agreement.farm, occurrence.structure])
    planned.planned_match_remove(match=occurrence.match)
    funding.funding_release(line_id=occurrence.agreement.funding_line_id, amount=occurrence.funding_reserved_eur)
    occurrence.status, occurrence.match, occurrence.funding_reserved_eur = Occurrence.Status.SKIPPED, None, 0
    occurrence.save(update_fields=["status", "match", "funding_reserved_eur"])
    _event(
        occurrence.agreement,
        by,
        "occurrence_skipped",
        occurrence.agreement.status,
        note or long_date(occurrence.date),
    )
    return occurrence


@transaction.atomic
def occurrence_change(
    *,
    by,
    occurrence: Occurrence,
    date: dt.date | None = None,
    quantity: Decimal | None = None,
    household_price_per_unit: Decimal | None = None,
    today=None,  # noqa: A002
) -> Occurrence:
    """Move this one delivery to another day, change its quantity, or the price its household
    pays; the series goes on. Its funding reservation follows its new date and quantity; a
    delivery the line pays is not moved out of the line's period (``funding_period``)."""
    today = today or timezone.localdate()
    occurrence = _occurrence(occurrence)
    _require_help(by, [occurrence.agreement.farm, occurrence.structure])
    if date is None and quantity is None and household_price_per_unit is None:
        raise DomainError("invalid", _("Indiquez une nouvelle date, une nouvelle quantité ou un prix au ménage."))
    if household_price_per_unit is not None and household_price_per_unit < 0:
        raise DomainError(
            "invalid",
            _("Certaines données sont invalides."),
            fields={"household_price_per_unit": _("Le prix payé par le ménage ne peut être négatif.")},
        )
    notes = []
    agreement = occurrence.agreement
    if date is not None and date != occurrence.date:
        if date < today:
            raise DomainError(
                "date_past", _("Une livraison ne peut être déplacée dans le passé."), fields={"date": _("Date passée.")}
            )
        _require_funded_on(occurrence, date)
        planned.planned_match_move(match=occurrence.match, date=date)
        notes.append(_("déplacée du %(old)s au %(new)s") % {"old": long_date(occurrence.date), "new": long_date(date)})
        occurrence.date = date
    if quantity is not None and quantity != occurrence.quantity:
        planned.planned_match_resize(match=occurrence.match, quantity=quantity)
        notes.append(_("quantité %(old)s → %(new)s") % {"old": occurrence.quantity, "new": quantity})
        occurrence.quantity = quantity
    if notes:
        # The reservation follows the delivery's date and quantity: more is reserved (or
        # refused, ``funding_exhausted``), less given back to the line.
        share = _planned_gap_of(agreement, occurrence.date, occurrence.quantity, occurrence.structure_id)
        if share > occurrence.funding_reserved_eur:
            funding.funding_reserve(agreement=agreement, amount=share - occurrence.funding_reserved_eur)
        elif share < occurrence.funding_reserved_eur:
            funding.funding_release(line_id=agreement.funding_line_id, amount=occurrence.funding_reserved_eur - share)
        occurrence.funding_reserved_eur = share
    if household_price_per_unit is not None and household_price_per_unit != occurrence.household_price_per_unit:
        notes.append(_("prix au ménage : %(price)s €") % {"price": _euros(household_price_per_unit)})
        occurrence.household_price_per_unit = household_price_per_unit
    occurrence.save(update_fields=["date", "quantity", "funding_reserved_eur", "household_price_per_unit"])
    _event(occurrence.agreement, by, "occurrence_changed", occurrence.agreement.status, " ; ".join(notes))
    return occurrence


def _require_funded_on(occurrence: Occurrence, day: dt.date) -> None:
    """A delivery the agreement's funding line pays is not moved out of the line's period (it
    would lose its funding, and the structure pay the gap): refused, field ``date``."""
    agreement = occurrence.agreement
    line = agreement.funding_line
    if line is None or line.period_start <= day <= line.period_end:
        return
    funded = occurrence.funding_reserved_eur > 0 or (
        _planned_gap_of(agreement, occurrence.date, occurrence.quantity, occurrence.structure_id) > 0
    )
    if funded:
        raise refused(
            "date",
            _(
                "La ligne de financement « %(line)s » paie les livraisons du %(start)s au %(end)s : cette livraison "
                "ne peut pas être déplacée au %(day)s, hors de cette période. Choisissez une date entre ces deux-là, "
                "ou sautez cette livraison."
            )
            % {
                "line": line,
                "start": long_date(line.period_start),
                "end": long_date(line.period_end),
                "day": long_date(day),
            },
            "funding_period",
        )


def _planned_gap_of(agreement: SupplyAgreement, day: dt.date, quantity: Decimal, structure_id: int) -> Decimal:
    if agreement.funding_line is None:
        return Decimal(0)
    return funding.planned_share(
        line=agreement.funding_line, agreement=agreement, day=day, quantity=quantity, structure_id=structure_id
    )


# --- Notifications -------------------------------------------------------------------------


def agreement_url(agreement_id: int) -> str:
    return reverse("agreements:detail", args=[agreement_id])


def _members(org_ids) -> list:
    return [
        m.user
        for m in Membership.objects.filter(organization_id__in=org_ids, user__is_active=True).select_related("user")
    ]


def _notify_parties(agreement: SupplyAgreement, title) -> None:
    """Both sides told; ``title`` writes the title (in each recipient's language)."""
    org_ids = [agreement.farm_id, *agreement.parties.values_list("structure_id", flat=True)]
    users = _members(org_ids)
    if users:
        notify(
            users=users,
            kind="agreement",
            title=title,
            body=lambda: render_to_string("agreements/email/agreement.txt", {"agreement": agreement}).strip(),
            url=agreement_url(agreement.pk),
        )


REMIND_TASK = "agreements.tasks.occurrence_remind"


def occurrences_remind(*, today: dt.date | None = None, days_ahead: int = 2) -> int:
    """Beat, daily: each delivery of an active agreement due within ``days_ahead`` days and not
    yet reminded is claimed and its reminder handed to the outbox, in one transaction (the
    message exists exactly when the claim does: at least once). A day beat missed is caught up."""
    today = today or timezone.localdate()
    due = Occurrence.objects.filter(
        date__gte=today,
        date__lte=today + dt.timedelta(days=days_ahead),
        status=Occurrence.Status.PLANNED,
        reminded_at__isnull=True,
        match__isnull=False,
        agreement__status=ST.ACTIVE,
    ).values_list("pk", flat=True)
    claimed = 0
    for occurrence_id in list(due):
        with transaction.atomic():
            if Occurrence.objects.filter(pk=occurrence_id, reminded_at__isnull=True).update(reminded_at=timezone.now()):
                dispatch(REMIND_TASK, kwargs={"occurrence_id": occurrence_id})
                claimed += 1
    return claimed


@transaction.atomic
def occurrence_remind_send(*, occurrence_id: int) -> bool:
    """The reminder of one delivery to both sides, once: a task run twice (the outbox and the
    broker deliver at least once) finds it sent and does nothing."""
    occurrence = (
        Occurrence.objects.select_for_update(of=("self",))
        .select_related("agreement__farm", "structure")
        .filter(pk=occurrence_id)
        .first()
    )
    if occurrence is None or occurrence.reminder_sent_at is not None:
        return False
    if occurrence.status != Occurrence.Status.PLANNED or occurrence.match_id is None:
        return False  # skipped or suspended since it was claimed
    users = _members([occurrence.agreement.farm_id, occurrence.structure_id])
    if users:
        notify(
            users=users,
            kind="agreement_reminder",
            title=lambda: (
                _("Rappel : livraison de la convention le %(date)s – %(product)s")
                % {"date": long_date(occurrence.date), "product": occurrence.agreement.product_name}
            ),
            body=lambda: render_to_string(
                "agreements/email/occurrence_reminder.txt", {"occurrence": occurrence}
            ).strip(),
            url=agreement_url(occurrence.agreement_id),
        )
    occurrence.reminder_sent_at = timezone.now()
    occurrence.save(update_fields=["reminder_sent_at"])
    return True
