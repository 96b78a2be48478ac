"""{% emergency_declarations as d %}: the active declarations for the disaster-mode banner."""

from django import template

from sasaeai.disaster import emergency

register = template.Library()


@register.simple_tag(takes_context=True)
def emergency_declarations(context):
    request = context.get("request")
    actor = getattr(request, "actor", None)
    if actor is None:
        return []
    return emergency.banner_declarations(actor)
