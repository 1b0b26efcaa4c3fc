from actors import demo as actors_demo
from initiatives import demo
from initiatives.models import ActionPlan, IndicatorValue, Initiative


def test_the_demo_loads_the_catalog_and_a_followed_plan_for_the_jura_and_is_idempotent(geo):
    context = actors_demo.seed(seed_value=2024, farms_divisor=40)
    summary = demo.seed(context)
    assert "Plan d'action du Cœur du Jura créé" in summary
    plan = ActionPlan.objects.get(territory__slug="coeur-du-jura")
    assert plan.actions.filter(state="selected").count() == 6
    assert plan.actions.filter(state="shortlisted").count() == 2
    assert IndicatorValue.objects.filter(indicator__action__plan=plan).count() >= 8
    germigney = Initiative.objects.get(slug="ferme-germigney-boeuf-croix-rouge-arbois")
    assert germigney.carrier_organization.name == "Ferme de Germigney"
    counts = (plan.actions.count(), IndicatorValue.objects.count(), Initiative.objects.count())
    demo.seed(context)
    assert (plan.actions.count(), IndicatorValue.objects.count(), Initiative.objects.count()) == counts
