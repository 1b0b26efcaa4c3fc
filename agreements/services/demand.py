"""The demand calendar: structures say what they expect to need by month; a farmer answers a gap
with a commitment (« 120 kg/mois de légumes racines, octobre–mars »), which becomes a proposed
agreement with one delivery on the first Monday of each month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from actors import permissions
from actors.models import RECIPIENT_KINDS, Organization
from agreements.inputs import agreement_data
from agreements.models import DemandForecast, SupplyAgreement
from agreements.services import agreements as svc
from miam.errors import DomainError
from products.models import ProductCategory


@transaction.atomic
def demand_set(
    *, by, structure: Organization, category: ProductCategory, month: dt.date, quantity_kg: Decimal
) -> DemandForecast | None:
    """Set (or, with 0, clear) a structure's expected need of a category in a month."""
    permissions.require_edit_organization(by, structure)
    if structure.kind not in RECIPIENT_KINDS:
        raise DomainError("not_a_structure", _("Seule une structure d'aide alimentaire déclare ses besoins."))
    if quantity_kg is None or quantity_kg < 0:
        raise DomainError(
            "invalid", _("Certaines données sont invalides."), fields={"quantity_kg": [_("Une quantité positive.")]}
        )
    month = month.replace(day=1)
    if quantity_kg == 0:
        DemandForecast.objects.filter(structure=structure, category=category, month=month).delete()
        return None
    forecast, _created = DemandForecast.objects.update_or_create(
        structure=structure, category=category, month=month, defaults={"quantity_kg": quantity_kg}
    )
    return forecast


@transaction.atomic
def commitment_propose(
    *,
    by,
    farm: Organization,
    structure: Organization,
    category: ProductCategory,
    kg_per_month: Decimal,
    first_month: dt.date,
    last_month: dt.date,
    fair_price_per_kg: Decimal,
    price_paid_per_kg: Decimal,
) -> SupplyAgreement:
    """A farmer's answer to a gap: a proposed agreement, one delivery a month (the first Monday),
    the farm carrying and paying the transport (the parties may change it in a new draft)."""
    end = (last_month.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    data = agreement_data(
        {
            "farm": farm.pk,
            "structures": [structure.pk],
            "category": category.pk,
            "product_name": category.label if hasattr(category, "label") else category.name,
            "unit": "kg",
            "quantity_per_delivery": str(kg_per_month),
            "recurrence": "le premier lundi du mois",
            "start_date": first_month.replace(day=1).isoformat(),
            "end_date": end.isoformat(),
            "fair_price_per_unit": str(fair_price_per_kg),
            "price_paid_per_unit": str(price_paid_per_kg),
            "carrier": farm.pk,
            "transport_payer": farm.pk,
        }
    )
    agreement = svc.agreement_create(by=by, data=data)
    return svc.agreement_propose(by=by, agreement=agreement)
