"""Router /subscriptions: the tenant's topics with their confirmed subscribers (no addresses)."""

from ninja import Router, Schema

from sasaeai.accounts import policy
from sasaeai.subscriptions import selectors

router = Router(tags=["subscriptions"])


class TopicOut(Schema):
    key: str
    name: str
    name_en: str
    active: bool
    confirmed: int
    waiting: int


@router.get("/topics", response=list[TopicOut])
def topic_list(request):
    """Every topic of the current tenant with its confirmed and waiting subscribers."""
    policy.require(request.actor, selectors.MANAGE)
    return list(selectors.topics_with_counts(request.actor))
