import pytest
from django.test import Client

from sasaeai.accounts.models import Role
from sasaeai.tokens import services
from tests.consultation.factories import actor_for


def make_token(world, role=Role.MUNICIPAL_STAFF, scopes=("core:read",), membership=None, **kw):
    membership = membership or world.members[role]
    return services.create_personal_token(
        actor_for(membership), name=kw.pop("name", "script"), scopes=list(scopes), **kw
    )


def bearer(token: str) -> Client:
    """A client with no session at all, only the token."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def token_of(world):
    def make(*args, **kwargs):
        return make_token(world, *args, **kwargs)

    return make
