"""Metric families: one registration, one figure per thing a tenant defines."""

import pytest

from sasaeai.core import metrics


@pytest.fixture
def family():
    fam = metrics.MetricFamily(
        key="testing.per_topic",
        label="Per topic",
        unit="people",
        compute=lambda tenant_id, year, parameter: {"a": 3, "b": 7}.get(parameter),
        options=lambda tenant_id: [("a", "A"), ("b", "B")],
        source="testing",
    )
    metrics.register_family(fam)
    yield fam
    metrics._families.pop(fam.key)


def test_a_family_member_computes_for_its_parameter(family):
    assert metrics.compute("testing.per_topic:b", tenant_id=1, fiscal_year=2026) == 7
    assert metrics.get("testing.per_topic:a").source == "testing"


def test_unknown_family_or_missing_parameter_is_not_published(family):
    assert metrics.is_published("testing.per_topic:a")
    assert not metrics.is_published("testing.per_topic")
    assert not metrics.is_published("testing.per_topic:")
    assert not metrics.is_published("nobody.per_topic:a")
    with pytest.raises(KeyError):
        metrics.get("testing.per_topic")


def test_a_family_key_cannot_hold_the_separator():
    with pytest.raises(ValueError):
        metrics.register_family(
            metrics.MetricFamily("bad:key", "x", "y", lambda t, y, p: 0, lambda t: [], "testing")
        )


def test_registering_a_family_twice_differently_is_refused(family):
    with pytest.raises(ValueError):
        metrics.register_family(
            metrics.MetricFamily(family.key, "other", "y", lambda t, y, p: 0, lambda t: [], "x")
        )
