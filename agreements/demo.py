"""Demo data of agreements: the Germigney case as a season agreement, signed and running.

10 kg of beef each Tuesday from the Ferme de Germigney to the Croix-Rouge's Panier arboisien at
the booklet's fair price (10,80 €/kg, usual 11,80 €/kg). The demo's monthly budget of the
grocery (400 €) cannot pay five Tuesdays at that price: in the demo, the PAT funds 3 €/kg of the
gap and the grocery pays 7,80 €/kg (demo values). Called by ``seed_demo`` (``APP_DEMOS``).
"""

from __future__ import annotations

import datetime as dt

from actors.models import Membership, Organization
from agreements.inputs import agreement_data, funding_line_data
from agreements.models import Funder, SupplyAgreement
from agreements.services import agreements as svc
from agreements.services import funding
from miam.errors import DomainError

CROIX_ROUGE_ARBOIS = "Croix-Rouge – le Panier arboisien (Arbois)"


def seed(context: dict) -> str:
    farm = Organization.objects.filter(name="Ferme de Germigney").first()
    grocery = Organization.objects.filter(name=CROIX_ROUGE_ARBOIS).first()
    if farm is None or grocery is None:
        return ""
    if SupplyAgreement.objects.filter(farm=farm).exists():
        return "Conventions de démonstration : déjà présentes."
    territory = next((t for t in context["territories"] if t.slug == "coeur-du-jura"), None)
    farmer = Membership.objects.filter(organization=farm).select_related("user").first().user
    volunteer = Membership.objects.filter(organization=grocery).select_related("user").first().user
    today = dt.date.today()
    start = today - dt.timedelta(days=(today.weekday() - 1) % 7)  # this week's Tuesday
    end = start + dt.timedelta(weeks=25)
    line = None
    if territory is not None:
        from actors.models import TerritoryRole

        officer = TerritoryRole.objects.filter(territory=territory, role="officer").select_related("user").first()
        if officer is not None:
            funder = Funder.objects.create(
                territory=territory, name="PAT Cœur du Jura – fonds d'accessibilité", kind="pat"
            )
            line = funding.funding_line_create(
                by=officer.user,
                data=funding_line_data(
                    {
                        "funder": funder.pk,
                        "name": "Viande locale pour l'aide alimentaire",
                        "amount_eur": "1200",
                        "period_start": start.isoformat(),
                        "period_end": end.isoformat(),
                        "share_per_kg_eur": "3.00",
                    }
                ),
            )
    values = {
        "farm": farm.pk,
        "structures": [grocery.pk],
        "category": "beef",
        "product_name": "Bœuf de génisse, colis de 5 kg",
        "unit": "kg",
        "pack_size": "5",
        "quantity_per_delivery": "10",
        "recurrence": "chaque mardi",
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "fair_price_per_unit": "10.80",
        "price_paid_per_unit": "7.80" if line else "10.80",
        "usual_price_per_unit": "11.80",
        "carrier": farm.pk,
        "transport_payer": farm.pk,
    }
    if line is not None:
        values["funding_line"] = line.pk
    agreement = svc.agreement_create(by=farmer, data=agreement_data(values))
    svc.agreement_propose(by=farmer, agreement=agreement)
    svc.agreement_sign(by=farmer, agreement=agreement)
    try:
        svc.agreement_sign(by=volunteer, agreement=agreement, today=today)
        svc.agreement_activate(by=farmer, agreement=agreement, today=today)
    except DomainError as error:
        return f"Convention de démonstration proposée, non signée par la structure : {error.message}"
    return f"Convention de démonstration : {agreement.occurrences.count()} livraisons planifiées (Germigney → Arbois)."
