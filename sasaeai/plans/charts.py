"""Chart geometry for the pages, drawn as inline SVG by the templates (no script, no CDN)."""

from dataclasses import dataclass
from decimal import Decimal

from sasaeai.core.fiscal import era_year_label
from sasaeai.plans.models import Indicator, Plan
from sasaeai.plans.planfile import format_number
from sasaeai.plans.progress import ASSESSED, Rollup, Status

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 280, 64, 16, 16, 40


@dataclass
class Point:
    x: float
    y: float
    label: str
    year: int


def _scale(values: list[Decimal]) -> tuple[float, float]:
    low, high = float(min(values)), float(max(values))
    if low == high:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.1
    return min(0.0, low - pad) if low >= 0 else low - pad, high + pad


def indicator_chart(indicator: Indicator, plan: Plan, result) -> dict | None:
    """Baseline and targets as the planned line, actuals as the recorded line, per fiscal year."""
    planned = []
    if indicator.baseline_value is not None and indicator.baseline_year is not None:
        planned.append((indicator.baseline_year, indicator.baseline_value))
    planned += sorted((y, v) for y, v in result.targets.items() if v is not None)
    actual = sorted((y, a.value) for y, a in result.actuals.items())
    values = [v for _, v in planned + actual]
    if not values:
        return None
    first = min([plan.start_year, *(y for y, _ in planned + actual)])
    last = max([plan.end_year, *(y for y, _ in planned + actual)])
    low, high = _scale(values)
    span_x = max(last - first, 1)

    def point(year: int, value: Decimal) -> Point:
        x = LEFT + (WIDTH - LEFT - RIGHT) * (year - first) / span_x
        y = TOP + (HEIGHT - TOP - BOTTOM) * (1 - (float(value) - low) / (high - low))
        return Point(round(x, 1), round(y, 1), format_number(value), year)

    planned_points = [point(y, v) for y, v in planned]
    actual_points = [point(y, v) for y, v in actual]
    ticks_y = [low + (high - low) * i / 4 for i in range(5)]
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "bottom": HEIGHT - BOTTOM, "right": WIDTH - RIGHT,
        "planned": planned_points, "actual": actual_points,
        "planned_path": " ".join(f"{p.x},{p.y}" for p in planned_points),
        "actual_path": " ".join(f"{p.x},{p.y}" for p in actual_points),
        "x_ticks": [{"x": point(year, Decimal(low)).x, "label": era_year_label(year)} for year in range(first, last + 1)],
        "y_ticks": [{"y": point(first, Decimal(str(v))).y, "label": format_number(Decimal(str(round(v, 2))))} for v in ticks_y],
    }  # fmt: skip


def status_bars(rollup: Rollup) -> list[dict]:
    total = sum(rollup.statuses.values()) or 1
    return [
        {"status": status, "label": status.label, "count": rollup.statuses.get(status, 0),
         "percent": round(100 * rollup.statuses.get(status, 0) / total),
         "width": round(1 + 150 * rollup.statuses.get(status, 0) / total), "y": index * 16, "text_y": index * 16 + 11}
        for index, status in enumerate((*ASSESSED, Status.NO_DATA, Status.NOT_ASSESSED))
    ]  # fmt: skip
