"""The demand calendar: structures say what they expect to need by month; a farmer answers a gap
with a commitment (« 120 kg/mois de légumes racines, octobre–mars »), which becomes a proposed
agreement with one delivery on the first Monday of each month. A structure pre-ordering a
farm's planned harvest takes the same path."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from actors import permissions
from actors.models import RECIPIENT_KINDS, Organization
from agreements.inputs import agreement_data
from agreements.models import DemandForecast, SupplyAgreement
from agreements.services import agreements as svc
from miam.errors import DomainError
from miam.formatting import long_date
from miam.inputs import FieldErrors
from offers.models import Offer, Pricing
from offers.models import Status as OfferStatus
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


def _monthly_proposal(
    *,
    by,
    farm: Organization,
    structure: Organization,
    category: ProductCategory,
    product_name: str,
    unit: str,
    quantity_per_month: Decimal,
    first_month: dt.date,
    last_month: dt.date,
    fair_price: Decimal,
    price_paid: Decimal,
    usual_price: Decimal | None = None,
) -> SupplyAgreement:
    """The one path of the calendar's answers: a proposed agreement, one delivery a month (the
    first Monday), the farm carrying and paying the transport (the parties may change it before
    anyone signs)."""
    end = (last_month.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    values = {
        "farm": farm.pk,
        "structures": [structure.pk],
        "category": category.pk,
        "product_name": product_name,
        "unit": unit,
        "quantity_per_delivery": str(quantity_per_month),
        "recurrence": "le premier lundi du mois",
        "start_date": first_month.replace(day=1).isoformat(),
        "end_date": end.isoformat(),
        "fair_price_per_unit": str(fair_price),
        "price_paid_per_unit": str(price_paid),
        "carrier": farm.pk,
        "transport_payer": farm.pk,
    }
    if usual_price is not None:
        values["usual_price_per_unit"] = str(usual_price)
    agreement = svc.agreement_create(by=by, data=agreement_data(values))
    return svc.agreement_propose(by=by, agreement=agreement)


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
    """A farmer's answer to a gap (« 120 kg/mois de légumes racines, octobre–mars »)."""
    return _monthly_proposal(
        by=by,
        farm=farm,
        structure=structure,
        category=category,
        product_name=category.label if hasattr(category, "label") else category.name,
        unit="kg",
        quantity_per_month=kg_per_month,
        first_month=first_month,
        last_month=last_month,
        fair_price=fair_price_per_kg,
        price_paid=price_paid_per_kg,
    )


PREORDERABLE = (OfferStatus.PUBLISHED, OfferStatus.PARTLY_MATCHED)


@transaction.atomic
def preorder_propose(
    *,
    by,
    offer: Offer,
    structure: Organization,
    quantity_per_month: Decimal,
    first_month: dt.date,
    last_month: dt.date,
) -> SupplyAgreement:
    """A structure pre-orders a farm's planned harvest: so much a month of the offer, within its
    window, at its price (the usual price as the fair one): the same proposed agreement as a
    farmer's commitment, which the farm then signs or not."""
    permissions.require_edit_organization(by, structure)
    # Under the offer's row lock: two pre-orders at once never hold more than is left.
    offer = Offer.objects.select_for_update(of=("self",)).select_related("organization", "category").get(pk=offer.pk)
    errors = FieldErrors()
    if offer.status not in PREORDERABLE:
        errors.add("offer", _("Cette production n'est plus proposée."), "offer_closed")
    if offer.pricing == Pricing.DONATION or offer.price_per_unit is None:
        errors.add("offer", _("Un don ne se pré-commande pas : demandez-le par un besoin."), "offer_donation")
    if last_month < first_month:
        errors.add("last_month", _("Le dernier mois précède le premier."), "period_reversed")
    window = (offer.window_start.replace(day=1), offer.window_end.replace(day=1))
    if first_month < window[0] or last_month > window[1]:
        errors.add(
            "first_month",
            _("La production est prévue du %(start)s au %(end)s : pré-commandez dans ces mois-là.")
            % {"start": long_date(offer.window_start), "end": long_date(offer.window_end)},
            "outside_window",
        )
    months = (last_month.year - first_month.year) * 12 + last_month.month - first_month.month + 1
    left = offer.quantity - offer.quantity_reserved
    if months > 0 and quantity_per_month * months > left:
        errors.add(
            "quantity_per_month",
            _("Il reste %(left)s %(unit)s de cette production, pas %(asked)s.")
            % {
                "left": number_format(left.normalize(), use_l10n=True),
                "unit": offer.get_unit_display(),
                "asked": number_format((quantity_per_month * months).normalize(), use_l10n=True),
            },
            "offer_exhausted",
        )
    errors.raise_if_any()
    agreement = _monthly_proposal(
        by=by,
        farm=offer.organization,
        structure=structure,
        category=offer.category,
        product_name=offer.product_name,
        unit=offer.unit,
        quantity_per_month=quantity_per_month,
        first_month=first_month,
        last_month=last_month,
        fair_price=offer.usual_price_per_unit or offer.price_per_unit,
        price_paid=offer.price_per_unit,
        usual_price=offer.usual_price_per_unit,
    )
    # The pre-order holds its quantity on the offer until it starts (its deliveries then carry
    # it) or is ended before: matching cannot give it to anyone else meanwhile.
    SupplyAgreement.objects.filter(pk=agreement.pk).update(preorder_offer=offer)
    agreement.preorder_offer = offer
    svc.preorder_hold(agreement, quantity_per_month * months)
    return agreement
