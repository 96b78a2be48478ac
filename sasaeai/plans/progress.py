"""Progress, computed and explained (the rules are written out in docs/plans.md).

Pure functions over numbers: no database here, so every rule is tested directly and the same
figures appear on the pages, in the API and in the committee's report.
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sasaeai.plans.planfile import format_number


class Status(models.TextChoices):
    ACHIEVED = "achieved", gettext_lazy("achieved")
    ON_TRACK = "on_track", gettext_lazy("on track")
    BEHIND = "behind", gettext_lazy("behind")
    NO_DATA = "no_data", gettext_lazy("no data")
    NOT_ASSESSED = "not_assessed", gettext_lazy("not assessed")


ASSESSED = (Status.ACHIEVED, Status.ON_TRACK, Status.BEHIND)


@dataclass(frozen=True)
class Assessment:
    fiscal_year: int
    status: Status
    actual: Decimal | None = None
    target_year: int | None = None
    target: Decimal | None = None
    expected: Decimal | None = None
    achievement: Decimal | None = None  # 1 = the target reached
    steps: tuple[str, ...] = ()  # how it was computed, in words, for the screen
    baseline: Decimal | None = None
    direction: str = ""

    @property
    def achievement_percent(self) -> Decimal | None:
        if self.achievement is None:
            return None
        return (self.achievement * 100).quantize(Decimal("0.1"))

    @property
    def below_baseline(self) -> bool:
        """The actual moved away from the target, past the baseline: the ratio is negative and
        as a percentage (-2,750 %) says nothing a reader can use."""
        return self.achievement is not None and self.achievement < 0 and self.baseline is not None

    @property
    def achievement_display(self) -> str:
        """The achievement as pages and reports show it: a percentage, honest above 100 %, or
        the actual against the baseline when it fell on the wrong side of it."""
        if self.achievement is None:
            return ""
        if not self.below_baseline:
            return f"{self.achievement_percent}%"
        figures = {"actual": _n(self.actual), "baseline": _n(self.baseline)}
        if self.direction == "decrease":
            return _("Above the baseline (actual %(actual)s, baseline %(baseline)s)") % figures
        return _("Below the baseline (actual %(actual)s, baseline %(baseline)s)") % figures

    @property
    def achievement_bar_percent(self) -> int | None:
        """The width of an achievement bar: the percentage held between 0 and 100."""
        if self.achievement is None:
            return None
        return int(min(max(self.achievement * 100, Decimal(0)), Decimal(100)))


def _n(value: Decimal | None) -> str:
    return format_number(value)


def _target_for(targets: dict[int, Decimal | None], year: int) -> tuple[int, Decimal] | None:
    """The target a year is measured against: the next target year from it, else the last."""
    set_targets = sorted((y, v) for y, v in targets.items() if v is not None)
    if not set_targets:
        return None
    for target_year, value in set_targets:
        if target_year >= year:
            return target_year, value
    return set_targets[-1]


def expected_value(
    *, baseline_year: int, baseline: Decimal, targets: dict[int, Decimal | None], year: int
) -> Decimal | None:
    """Where the indicator should be in `year` on a straight line from the baseline through
    each set target in turn (the trajectory)."""
    anchors = [(baseline_year, baseline)] + sorted(
        (y, v) for y, v in targets.items() if v is not None and y > baseline_year
    )
    if len(anchors) < 2:
        return None
    for (y0, v0), (y1, v1) in zip(anchors, anchors[1:], strict=False):
        if y0 <= year <= y1:
            return v0 + (v1 - v0) * Decimal(year - y0) / Decimal(y1 - y0)
    return anchors[-1][1] if year > anchors[-1][0] else baseline


def assess(
    *,
    direction: str,
    fiscal_year: int,
    actual: Decimal | None,
    baseline_year: int | None,
    baseline: Decimal | None,
    targets: dict[int, Decimal | None],
    tolerance_percent: Decimal = Decimal(5),
) -> Assessment:
    if direction == "none":
        return Assessment(fiscal_year, Status.NOT_ASSESSED, actual,
                          steps=(_("This indicator has no direction; its figures are shown, not judged."),))  # fmt: skip
    found = _target_for(targets, fiscal_year)
    if found is None:
        return Assessment(fiscal_year, Status.NOT_ASSESSED, actual,
                          steps=(_("No target is set, so achievement is not computed."),))  # fmt: skip
    target_year, target = found
    if actual is None:
        return Assessment(fiscal_year, Status.NO_DATA, None, target_year, target,
                          steps=(_("No actual has been recorded for this fiscal year."),))  # fmt: skip
    if direction == "maintain":
        return _assess_maintain(fiscal_year, actual, target_year, target, tolerance_percent)
    return _assess_change(
        direction, fiscal_year, actual, baseline_year, baseline, targets, target_year, target
    )


def _assess_maintain(fiscal_year, actual, target_year, target, tolerance_percent) -> Assessment:
    band = abs(target) * tolerance_percent / 100
    floor = target - band
    achievement = actual / target if target else None
    steps = [
        _("Maintain: achieved when the actual is at least the target minus %(tolerance)s%% "
          "(%(target)s − %(band)s = %(floor)s).") % {
            "tolerance": _n(tolerance_percent), "target": _n(target), "band": _n(band), "floor": _n(floor)},
        _("Actual %(actual)s.") % {"actual": _n(actual)},
    ]  # fmt: skip
    status = Status.ACHIEVED if actual >= floor else Status.BEHIND
    return Assessment(
        fiscal_year, status, actual, target_year, target, target, achievement, tuple(steps)
    )


def _assess_change(
    direction, fiscal_year, actual, baseline_year, baseline, targets, target_year, target
) -> Assessment:
    sign = 1 if direction == "increase" else -1
    reached = (actual - target) * sign >= 0
    if baseline is None or baseline_year is None or baseline == target:
        step = _("No baseline to measure from: achieved when the actual reaches the target "
                 "(actual %(actual)s, target %(target)s).") % {"actual": _n(actual), "target": _n(target)}  # fmt: skip
        return Assessment(fiscal_year, Status.ACHIEVED if reached else Status.BEHIND, actual,
                          target_year, target, None, None, (step,))  # fmt: skip
    achievement = (actual - baseline) / (target - baseline)
    figures = {"actual": _n(actual), "baseline": _n(baseline), "target": _n(target), "year": target_year,
               "percent": (achievement * 100).quantize(Decimal("0.1"))}  # fmt: skip
    if achievement < 0:
        # A negative ratio as a percentage (-2,750 %) tells a reader nothing: name the side.
        steps = [_("(Actual %(actual)s − baseline %(baseline)s) ÷ (target %(target)s for FY%(year)s "
                   "− baseline %(baseline)s) is below zero: the actual is on the far side of the "
                   "baseline from the target, so achievement is shown against the baseline, not as "
                   "a percentage.") % figures]  # fmt: skip
    else:
        steps = [_("Achievement = (actual %(actual)s − baseline %(baseline)s) ÷ (target %(target)s for "
                   "FY%(year)s − baseline %(baseline)s) = %(percent)s%%") % figures]  # fmt: skip
    shown = {"baseline": baseline, "direction": direction}
    if achievement >= 1:
        steps.append(_("The target is reached: achieved."))
        return Assessment(fiscal_year, Status.ACHIEVED, actual, target_year, target, None,
                          achievement, tuple(steps), **shown)  # fmt: skip
    expected = expected_value(
        baseline_year=baseline_year, baseline=baseline, targets=targets, year=fiscal_year
    )
    on_track = expected is not None and (actual - expected) * sign >= 0
    steps.append(
        _("Expected in FY%(year)s on the straight line from the baseline to the target: %(expected)s; "
          "the actual is %(relation)s it, so %(status)s.") % {
            "year": fiscal_year, "expected": _n(expected.quantize(Decimal("0.01")) if expected is not None else None),
            "relation": _("at or beyond") if on_track else _("short of"),
            "status": Status.ON_TRACK.label if on_track else Status.BEHIND.label}
    )  # fmt: skip
    return Assessment(fiscal_year, Status.ON_TRACK if on_track else Status.BEHIND, actual,
                      target_year, target, expected, achievement, tuple(steps), **shown)  # fmt: skip


# --- roll-up ----------------------------------------------------------------------------


@dataclass
class Rollup:
    """Statuses and grades of everything under a node (itself included)."""

    statuses: Counter = field(default_factory=Counter)
    grades: Counter = field(default_factory=Counter)
    score_total: float = 0.0
    graded: int = 0

    @property
    def assessed(self) -> int:
        return sum(self.statuses[s] for s in ASSESSED)

    @property
    def status(self) -> Status | None:
        """All assessed achieved → achieved; half or more behind → behind; else on track."""
        if not self.assessed:
            return None
        if self.statuses[Status.ACHIEVED] == self.assessed:
            return Status.ACHIEVED
        if self.statuses[Status.BEHIND] * 2 >= self.assessed:
            return Status.BEHIND
        return Status.ON_TRACK

    def mean_grade(self, scale: list[dict]) -> str | None:
        """The grade whose score is nearest the mean score (ties to the lower grade)."""
        if not self.graded:
            return None
        mean = self.score_total / self.graded
        return min(scale, key=lambda g: (abs(g["score"] - mean), g["score"]))["grade"]

    def add(self, other: "Rollup") -> None:
        self.statuses.update(other.statuses)
        self.grades.update(other.grades)
        self.score_total += other.score_total
        self.graded += other.graded
