import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import AuditEntry
from sasaeai.audit.services import Event, audit_event

pytestmark = pytest.mark.postgres

WRITERS = 50


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_writers_keep_a_single_chain():
    start = threading.Barrier(WRITERS)
    errors = []

    def write(index):
        try:
            start.wait()
            audit_event(
                Actor(
                    user_id=None,
                    username=f"w{index}",
                    tenant_id=None,
                    membership_id=None,
                    role=None,
                ),
                Event(action="read", object_type="test.thing", object_id=str(index)),
            )
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    sequences = sorted(AuditEntry.objects.values_list("sequence", flat=True))
    assert sequences[-WRITERS:] == list(range(sequences[-1] - WRITERS + 1, sequences[-1] + 1))
    assert AuditEntry.objects.filter(object_type="test.thing").count() == WRITERS
    out = StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert "intact" in out.getvalue()
