from django import template

from sasaeai.accounts import policy

register = template.Library()


@register.simple_tag(takes_context=True)
def may(context, permission: str) -> bool:
    """Whether the signed-in actor holds `permission`: links only to pages they may open."""
    actor = getattr(context.get("request"), "actor", None)
    return actor is not None and policy.has_permission(actor, permission)
