"""The watch app as a core.visits source: watch-over visits count in a commissioner's 活動記録.

Counted: contacts of kind visit and look-in from outside (doorstep) recorded by the member,
per day, 不在 (no answer) included. The national form's 訪問回数 counts the visits a
commissioner made to households for watching over and safety checks, not the people they
found at home; calls and meetings are not visits (docs/watch.md).
"""

from sasaeai.core import visits
from sasaeai.core.tenancy import tenant_context


def _count(tenant_id, user_ids, first, last):
    from sasaeai.watch import selectors

    with tenant_context(tenant_id):
        return selectors.visits_by_day(tenant_id, user_ids, first, last)


SOURCE = visits.VisitSource(key="watch.contacts", count=_count)


def register() -> None:
    visits.register(SOURCE)
