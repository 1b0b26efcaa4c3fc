"""Reads of the initiatives app: catalog search and filters, similar initiatives, map layer,
action plans and their CSV export. Shared by the pages, the API and the demo."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from actors.models import Organization, Territory
from initiatives import typology
from initiatives.models import (
    COUNTRY_LABELS,
    ActionIndicator,
    ActionPlan,
    IndicatorValue,
    Initiative,
    PlannedAction,
    search_normalize,
)
from miam.geo import haversine_km
from miam.text import normalize

# Words that carry no meaning in a French search.
STOP_WORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "d",
        "dans",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "ou",
        "par",
        "pour",
        "qu",
        "que",
        "qui",
        "sur",
        "un",
        "une",
    ]
)
# Light French suffix stripping, longest first, for the SQLite search (PostgreSQL has a real stemmer).
_SUFFIXES = (
    "ements",
    "ement",
    "ations",
    "ation",
    "euses",
    "euse",
    "ages",
    "age",
    "eurs",
    "eur",
    "ies",
    "ie",
    "ers",
    "er",
    "es",
    "e",
    "s",
    "x",
)
MIN_STEM = 4
# PostgreSQL ts_rank weights for D, C, B, A; small so that the rank does not saturate at 1.
RANK_WEIGHTS = [0.01, 0.02, 0.1, 0.3]


def search_tokens(query: str) -> list[str]:
    """Normalised meaningful words of a query, in order, without duplicates."""
    seen: list[str] = []
    for token in search_normalize(query).split():
        if token not in STOP_WORDS and len(token) > 1 and token not in seen:
            seen.append(token)
    return seen


def light_stem(token: str) -> str:
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= MIN_STEM:
            return token[: -len(suffix)]
    return token


def _word_prefix(field: str, stem: str) -> Q:
    return Q(**{f"{field}__startswith": stem}) | Q(**{f"{field}__contains": f" {stem}"})


def _rank_sqlite(qs: QuerySet, tokens: list[str], phrase: str) -> QuerySet:
    stems = [light_stem(t) for t in tokens]
    matches = Q()
    for stem in stems:
        matches &= _word_prefix("search_text", stem)
    matched = qs.filter(matches)
    if not matched.exists() and len(stems) > 1:
        any_match = Q()
        for stem in stems:
            any_match |= _word_prefix("search_text", stem)
        matched = qs.filter(any_match)
    score = Value(0)
    for stem in stems:
        score = (
            score
            + Case(When(_word_prefix("search_head", stem), then=Value(6)), default=Value(0))
            + Case(When(_word_prefix("search_summary", stem), then=Value(3)), default=Value(0))
            + Case(When(_word_prefix("search_text", stem), then=Value(1)), default=Value(0))
        )
    if len(tokens) > 1:
        score = (
            score
            + Case(When(search_head__contains=phrase, then=Value(12)), default=Value(0))
            + Case(When(search_summary__contains=phrase, then=Value(6)), default=Value(0))
            + Case(When(search_text__contains=phrase, then=Value(2)), default=Value(0))
        )
    return matched.annotate(rank=Coalesce(score, Value(0), output_field=IntegerField()))


def _rank_postgres(qs: QuerySet, tokens: list[str], phrase: str) -> QuerySet:
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    # The columns are already lower-case and accent-free (miam.text.normalize), so the French
    # configuration stems them without needing the unaccent extension.
    vector = (
        SearchVector("search_head", weight="A", config="french")
        + SearchVector("search_summary", weight="B", config="french")
        + SearchVector("search_text", weight="D", config="french")
    )
    query = SearchQuery(phrase, config="french", search_type="plain")
    matched = qs.annotate(search_vector=vector).filter(search_vector=query)
    if not matched.exists() and len(tokens) > 1:
        query = SearchQuery(" | ".join(tokens), config="french", search_type="raw")
        matched = qs.annotate(search_vector=vector).filter(search_vector=query)
    rank = SearchRank(F("search_vector"), query, weights=RANK_WEIGHTS)
    if len(tokens) > 1:
        phrase_query = SearchQuery(phrase, config="french", search_type="phrase")
        rank = rank + SearchRank(F("search_vector"), phrase_query, weights=RANK_WEIGHTS)
    return matched.annotate(rank=rank)


def _json_list_has(field: str, code: str) -> Q:
    """The JSON list ``field`` holds ``code``."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__contains": [code]})
    # SQLite stores JSON as text and has no containment lookup.
    return Q(**{f"{field}__icontains": f'"{code}"'})


def _with_beneficiary(qs: QuerySet, code: str) -> QuerySet:
    return qs.filter(_json_list_has("beneficiaries", code))


def _with_type(qs: QuerySet, code: str) -> QuerySet:
    """Primary or secondary type: an initiative filed under two types is found under both."""
    return qs.filter(Q(type=code) | _json_list_has("secondary_types", code))


@dataclass
class CatalogFilters:
    q: str = ""
    domain: str = ""
    type: str = ""
    region: str = ""
    departement: str = ""
    beneficiary: str = ""
    status: str = ""

    @classmethod
    def from_data(cls, data) -> CatalogFilters:
        return cls(**{name: str(data.get(name) or "").strip() for name in cls.__dataclass_fields__})

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in self.__dataclass_fields__)


def initiative_list(*, filters: CatalogFilters | None = None, published_only: bool = True) -> QuerySet[Initiative]:
    """The catalog, filtered and, when there is a query, searched and ranked (best first)."""
    filters = filters or CatalogFilters()
    qs = Initiative.objects.all()
    if published_only:
        qs = qs.filter(is_published=True)
    if filters.domain:
        qs = qs.filter(domain=filters.domain)
    if filters.type:
        qs = _with_type(qs, filters.type)
    if filters.region:
        qs = qs.filter(region=filters.region)
    if filters.departement:
        qs = qs.filter(departement_code=filters.departement)
    if filters.beneficiary:
        qs = _with_beneficiary(qs, filters.beneficiary)
    if filters.status:
        qs = qs.filter(status=filters.status)
    tokens = search_tokens(filters.q)
    if not tokens:
        return qs.order_by("name", "id")
    phrase = " ".join(tokens)
    ranked = _rank_postgres(qs, tokens, phrase) if settings.IS_POSTGRES else _rank_sqlite(qs, tokens, phrase)
    return ranked.order_by("-rank", "name", "id")


def initiative_search(query: str, **filters) -> QuerySet[Initiative]:
    return initiative_list(filters=CatalogFilters(q=query, **filters))


def catalog_facets() -> dict:
    """Choices for the filters: only values present in the published catalog."""
    published = Initiative.objects.filter(is_published=True)
    regions = sorted(r for r in published.values_list("region", flat=True).distinct() if r)
    departements = sorted(
        {(code, name or code) for code, name in published.values_list("departement_code", "departement__name") if code}
    )
    return {
        "domains": list(typology.DOMAINS),
        "types": list(typology.TYPES),
        "regions": regions,
        "departements": departements,
        "beneficiaries": list(typology.BENEFICIARIES),
        "statuses": list(typology.STATUSES),
    }


def initiative_similar(initiative: Initiative, *, limit: int = 4) -> list[Initiative]:
    """Same primary type (strongest), a shared type, same domain, shared keywords and nearness, best first."""
    own_keywords = {normalize(k) for k in initiative.keywords or []}
    own_types = set(initiative.all_types)
    scored = []
    others = Initiative.objects.filter(is_published=True).exclude(pk=initiative.pk)
    for other in others:
        score = 0.0
        if other.type == initiative.type:
            score += 4
        elif own_types & set(other.all_types):
            score += 2.5
        elif other.domain == initiative.domain:
            score += 1.5
        score += 1.0 * len(own_keywords & {normalize(k) for k in other.keywords or []})
        if initiative.latitude is not None and other.latitude is not None:
            km = haversine_km(initiative.latitude, initiative.longitude, other.latitude, other.longitude)
            score += 2 if km <= 50 else 1 if km <= 150 else 0
        elif initiative.departement_code and other.departement_code == initiative.departement_code:
            score += 1
        if score >= 2:
            scored.append((score, other.name, other))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [other for _score, _name, other in scored[:limit]]


def initiative_geojson(qs: QuerySet[Initiative]) -> dict:
    """Map layer: the placed initiatives of ``qs`` (the page lists all of them anyway)."""
    features = []
    for initiative in qs.filter(latitude__isnull=False, longitude__isnull=False):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [initiative.longitude, initiative.latitude]},
                "properties": {
                    "slug": initiative.slug,
                    "name": initiative.name,
                    "domain": initiative.domain,
                    "type": initiative.type_label,
                    "place": initiative.place_label,
                    "precision": initiative.location_precision,
                    "url": initiative.get_absolute_url(),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def country_label(code: str) -> str:
    return str(COUNTRY_LABELS.get(code, code))


# --- Action plans --------------------------------------------------------------------


def action_plan_of(territory: Territory) -> ActionPlan | None:
    return ActionPlan.objects.filter(territory=territory).select_related("territory").first()


def action_organization_choices(action: PlannedAction) -> QuerySet[Organization]:
    """The organizations the follow-up page offers as owner and partners: the active ones of the
    territory, and those the action already names (so that a save does not drop them)."""
    named = {pk for pk in [action.owner_organization_id] if pk}
    named |= set(action.partner_organizations.values_list("pk", flat=True))
    return (
        Organization.objects.filter(Q(commune__territories=action.plan.territory_id, is_active=True) | Q(pk__in=named))
        .distinct()
        .order_by("name", "id")
    )


def plan_actions(plan: ActionPlan, *, states: list[str] | None = None) -> QuerySet[PlannedAction]:
    """Actions of a plan with everything the plan page and the export show, in a few queries."""
    qs = (
        PlannedAction.objects.filter(plan=plan)
        .select_related("initiative", "owner_organization", "owner_person")
        .prefetch_related(
            "steps",
            "partner_organizations",
            Prefetch(
                "indicators",
                queryset=ActionIndicator.objects.prefetch_related(
                    Prefetch("values", queryset=IndicatorValue.objects.order_by("period_date", "period_label"))
                ),
            ),
        )
    )
    # The meetings app links meetings to planned actions (never the other way round): use that
    # link when it is installed, without importing it.
    if hasattr(PlannedAction, "discussed_in_meetings"):
        qs = qs.prefetch_related("discussed_in_meetings")
    if states:
        qs = qs.filter(state__in=states)
    state_order = Case(
        When(state=PlannedAction.State.SELECTED, then=Value(0)),
        When(state=PlannedAction.State.SHORTLISTED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return qs.annotate(state_order=state_order).order_by("state_order", "priority", "title", "id")


def plan_periods(plan: ActionPlan) -> list[str]:
    """Period labels with at least one value in the plan, in time order."""
    first_dates: OrderedDict[str, object] = OrderedDict()
    rows = (
        IndicatorValue.objects.filter(indicator__action__plan=plan)
        .order_by("period_date", "period_label")
        .values_list("period_label", "period_date")
    )
    for label, when in rows:
        first_dates.setdefault(label, when)
    return [label for label, _when in sorted(first_dates.items(), key=lambda item: (item[1], item[0]))]


def indicator_latest(indicator: ActionIndicator):
    values = list(indicator.values.all())
    return values[-1] if values else None


def action_progress(action: PlannedAction) -> tuple[int, int]:
    steps = list(action.steps.all())
    return sum(1 for s in steps if s.is_done), len(steps)


def action_plan_export(plan: ActionPlan, *, include_private: bool = False):
    """One row per action and indicator (an action without indicator has one row), one column per
    period; CSV or XLSX through ``miam.exports``.

    The owner's name is only included for the territory's team (``include_private``): the plan
    itself is public.
    """
    from miam import exports

    periods = plan_periods(plan)
    header = [
        _("priorité"),
        _("sélection"),
        _("action"),
        _("initiative du catalogue"),
        _("domaine"),
        _("type"),
        _("avancement"),
        _("structure pilote"),
    ]
    if include_private:
        header.append(_("pilote"))
    header += [
        _("partenaires"),
        _("budget (€)"),
        _("début"),
        _("fin"),
        _("étapes faites"),
        _("étapes"),
        _("indicateur"),
        _("unité"),
        _("valeur de départ"),
        _("cible"),
        *periods,
    ]
    rows = []
    for action in plan_actions(plan):
        done, total = action_progress(action)
        partners = [o.name for o in action.partner_organizations.all()]
        if action.other_partners:
            partners.append(action.other_partners)
        base = [
            action.priority or None,
            action.get_state_display(),
            action.title,
            action.initiative.name if action.initiative_id else "",
            action.initiative.domain_label if action.initiative_id else "",
            action.initiative.type_label if action.initiative_id else "",
            action.get_status_display(),
            action.owner_organization.name if action.owner_organization_id else "",
        ]
        if include_private:
            owner = action.owner_person.get_full_name() if action.owner_person_id else ""
            base.append(owner or action.owner_name)
        base += [", ".join(partners), _plain(action.budget_eur), action.start_date, action.end_date, done, total]
        indicators = list(action.indicators.all())
        if not indicators:
            rows.append(base + ["", "", None, None] + [None] * len(periods))
            continue
        for indicator in indicators:
            by_period = {v.period_label: v.value for v in indicator.values.all()}
            rows.append(
                base
                + [indicator.name, indicator.unit, _plain(indicator.baseline_value), _plain(indicator.target_value)]
                + [_plain(by_period.get(p)) for p in periods]
            )
    return exports.Export(
        title=_("Plan d'action"),
        tables=[exports.Table(columns=header, rows=rows)],
    )


def _plain(value):
    """A decimal without its trailing zeros (2500.00 → 2500, 250.50 → 250.5); None stays None."""
    if value is None:
        return None
    number = value.normalize()
    return number.quantize(1) if number.as_tuple().exponent > 0 else number


def territories_with_plans() -> QuerySet[ActionPlan]:
    return ActionPlan.objects.select_related("territory").order_by("territory__name")
