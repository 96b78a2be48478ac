"""Horizontal bar charts of a question's shares, drawn as inline SVG by the template."""

from sasaeai.surveys.selectors import QuestionResult

ROW, LABEL_WIDTH, BAR_WIDTH, TAIL = 24, 200, 320, 90


def bar_chart(result: QuestionResult) -> dict | None:
    if not result.choices or not result.respondents:
        return None
    bars = []
    for index, choice in enumerate(result.choices):
        share = choice.percent or 0.0
        bars.append(
            {"label": choice.label, "count": choice.count, "percent": choice.percent,
             "y": index * ROW, "text_y": index * ROW + 16,
             "width": round(BAR_WIDTH * share / 100, 1),
             "value_x": LABEL_WIDTH + round(BAR_WIDTH * share / 100, 1) + 6}
        )  # fmt: skip
    return {
        "width": LABEL_WIDTH + BAR_WIDTH + TAIL,
        "height": len(bars) * ROW,
        "label_width": LABEL_WIDTH,
        "label_x": LABEL_WIDTH - 6,
        "bars": bars,
    }
