import pytest
from django.db import connection

APP = "sasaeai_app"


@pytest.fixture
def app_login(app_role):
    """The application role may log in for the test (as in production), as before afterwards."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", [APP])
        could = cursor.fetchone()[0]
        cursor.execute(f"ALTER ROLE {APP} LOGIN")
    yield APP
    if not could:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER ROLE {APP} NOLOGIN")
