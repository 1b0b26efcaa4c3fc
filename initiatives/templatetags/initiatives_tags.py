"""``{% territory_plan territory %}``: the summary of a territory's action plan, for its page."""

from django import template

from initiatives import selectors
from initiatives.models import PlannedAction

register = template.Library()


@register.inclusion_tag("initiatives/_territory_plan.html")
def territory_plan(territory):
    plan = selectors.action_plan_of(territory)
    selected = []
    shortlisted = 0
    if plan is not None:
        actions = list(plan.actions.select_related("initiative").order_by("priority", "title"))
        selected = [a for a in actions if a.state == PlannedAction.State.SELECTED]
        shortlisted = sum(1 for a in actions if a.state == PlannedAction.State.SHORTLISTED)
    return {"territory": territory, "plan": plan, "selected": selected, "shortlisted": shortlisted}
