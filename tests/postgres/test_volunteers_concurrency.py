"""Two coordinators confirm the same helper for overlapping requests at the same moment:
one wins, the other is told, nothing half-saved."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from sasaeai.volunteers import services
from sasaeai.volunteers.models import Offer
from tests.volunteers.factories import coordinator, make_helper, make_request

pytestmark = pytest.mark.postgres


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_of_one_helper_let_exactly_one_win(world):
    helper = make_helper(world)
    requests = [make_request(world, "一"), make_request(world, "二")]
    actor = coordinator(world)
    start = threading.Barrier(2)
    outcomes = []

    def confirm(request):
        try:
            start.wait()
            services.offers_confirm(actor=actor, pairs=[services.PairChoice(request.pk, helper.pk)])
            outcomes.append("won")
        except ValidationError as error:
            outcomes.append([e.code for e in error.error_list])
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, outcomes)) == sorted(["won", str(["conflict"])])
    assert Offer.objects.filter(helper=helper).count() == 1
