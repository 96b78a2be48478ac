"""The plan as an Excel workbook (docs/plan-format.md, "The Excel workbook").

The workbook is the same document as the YAML file laid out in sheets of rows; reading it
remembers the cell each item came from, so every problem is reported as 「シート!セル」.
"""

import io
from collections.abc import Iterator

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from sasaeai.core.spreadsheet import protect_workbook
from sasaeai.plans import planfile
from sasaeai.plans.planfile import DocPath, Problem

YES = "○"
PLAN_ROWS = [
    ("code", "コード"), ("title", "計画名"), ("short_title", "略称"), ("kind", "種類"),
    ("owners", "策定主体"), ("embedded_plans", "一体的に策定した計画"),
    ("period.start", "開始年度"), ("period.end", "終了年度"), ("review_points", "見直し時期"),
    ("evaluation_cadence_years", "評価の周期（年）"), ("vision", "基本理念"),
    ("vision_text", "基本理念の説明"), ("slogan", "スローガン"), ("source", "出典"),
    ("priority_label", "重点の名称"), ("priority_mark", "重点の記号"),
    ("maintain_tolerance_percent", "維持の許容幅（％）"), ("section_headings", "見出し"),
    ("demo", "デモデータ"),
]  # fmt: skip
LIST_FIELDS = {"owners", "embedded_plans"}
INT_FIELDS = {"period.start", "period.end", "evaluation_cadence_years"}
SHEETS = {
    "levels": ("階層", ["キー", "名称", "上位階層", "最上位可", "評価対象", "横断"]),
    "actors": ("主体", ["キー", "名称"]),
    "grades": ("評価尺度", ["評価", "名称", "定義", "点数"]),
    "nodes": ("体系", ["参照", "上位参照", "階層", "番号", "名称", "重点", "テーマ", "担当課", "関連"]),
    "sections": ("本文", ["参照", "種類", "見出し", "本文", "箇条書き"]),
    "roles": ("役割", ["参照", "主体", "内容"]),
    "indicators": ("指標", ["指標参照", "参照", "指標名", "単位", "方向", "基準年度", "基準値", "担当課", "備考", "メトリクス"]),
    "targets": ("目標値", ["指標参照", "年度", "目標値", "未設定の理由", "表記"]),
    "actuals": ("実績", ["指標参照", "年度", "実績値", "出典", "備考", "デモ"]),
    "evaluations": ("評価", ["参照", "年度", "評価", "実績", "課題", "今後の方向性", "担当課", "状態", "デモ"]),
}  # fmt: skip


def _lines(items: list[str]) -> str:
    return "\n".join(items)


def _split(text: object) -> list[str]:
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


# --- writing ----------------------------------------------------------------------------


def document_to_workbook(doc: dict) -> bytes:
    book = Workbook()
    info = doc["plan"]
    sheet = book.active
    sheet.title = "計画"
    sheet.append(["項目", "値", "キー"])
    for key, label in PLAN_ROWS:
        if key.startswith("period."):
            value = info["period"][key.split(".")[1]]
        elif key == "review_points":
            value = _lines(f"{p['fiscal_year']} {p['kind']} {p.get('label', '')}".strip()
                           for p in info.get("review_points", []))  # fmt: skip
        elif key == "section_headings":
            value = _lines(f"{k}={v}" for k, v in info.get("section_headings", {}).items())
        elif key in LIST_FIELDS:
            value = _lines(info.get(key, []))
        elif key == "demo":
            value = YES if info.get("demo") else ""
        else:
            value = info.get(key, "")
        sheet.append([label, value, key])

    rows: dict[str, list[list]] = {name: [] for name in SHEETS}
    for level in doc["levels"]:
        rows["levels"].append([level["key"], level["name"], level.get("under", ""),
                               *(YES if level.get(f) else "" for f in ("may_be_top", "evaluated", "cross_cutting"))])  # fmt: skip
    rows["actors"] = [[a["key"], a["name"]] for a in doc.get("actors", [])]
    rows["grades"] = [
        [g["grade"], g["label"], g.get("definition", ""), g["score"]] for g in doc.get("grades", [])
    ]
    refs = planfile.assign_refs(doc)
    for node, _path, parent in planfile.walk_nodes(doc["nodes"]):
        ref = refs[id(node)]
        rows["nodes"].append([
            ref, refs[id(parent)] if parent else "", node["level"], node["label"], node.get("title", ""),
            YES if node.get("priority") else "", _lines(node.get("themes", [])),
            _lines(node.get("responsible", [])), _lines(node.get("links", [])),
        ])  # fmt: skip
        for kind, raw in node.get("sections", {}).items():
            if isinstance(raw, str):
                heading, text, items = "", raw, []
            elif isinstance(raw, list):
                heading, text, items = "", "", raw
            else:
                heading, text, items = (
                    raw.get("heading", ""),
                    raw.get("text", ""),
                    raw.get("items", []),
                )
            rows["sections"].append([ref, kind, heading, text, _lines(items)])
        for actor, statements in node.get("roles", {}).items():
            rows["roles"] += [[ref, actor, text] for text in statements]
        for index, indicator in enumerate(node.get("indicators", [])):
            iref = indicator.get("ref") or f"{ref}#{index + 1}"
            baseline = indicator.get("baseline", {})
            rows["indicators"].append([
                iref, ref, indicator["name"], indicator["unit"], indicator["direction"],
                baseline.get("fiscal_year", ""), baseline.get("value", ""),
                indicator.get("department", ""), indicator.get("note", ""), indicator.get("metric", ""),
            ])  # fmt: skip
            for year, target in indicator.get("targets", {}).items():
                if isinstance(target, dict):
                    rows["targets"].append(
                        [iref, int(year), "", target["reason"], target.get("printed", "")]
                    )
                else:
                    rows["targets"].append([iref, int(year), target, "", ""])
            for year, actual in indicator.get("actuals", {}).items():
                rows["actuals"].append([iref, int(year), actual["value"], actual.get("source", ""),
                                        actual.get("note", ""), YES if actual.get("demo") else ""])  # fmt: skip
        for year, evaluation in node.get("evaluations", {}).items():
            rows["evaluations"].append([
                ref, int(year), evaluation["grade"], evaluation.get("results", ""),
                evaluation.get("issues", ""), evaluation.get("next_steps", ""),
                evaluation.get("department", ""), evaluation.get("status", "draft"),
                YES if evaluation.get("demo") else "",
            ])  # fmt: skip
    for name, (title, header) in SHEETS.items():
        sheet = book.create_sheet(title)
        sheet.append(header)
        for row in rows[name]:
            sheet.append(row)
    for sheet in book.worksheets:
        _style(sheet)
    protect_workbook(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _style(sheet) -> None:
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
    sheet.freeze_panes = "A2"
    for column in range(1, sheet.max_column + 1):
        letter = get_column_letter(column)
        longest = max((len(str(c.value or "")) for c in sheet[letter][:200]), default=4)
        sheet.column_dimensions[letter].width = min(60, max(8, longest * 1.6))
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


# --- reading ----------------------------------------------------------------------------


class _Cells:
    """Rows of a sheet as dicts by header, remembering each value's cell."""

    def __init__(self, book, name: str, problems: list[Problem]):
        self.title, self.header = SHEETS[name] if name in SHEETS else (name, [])
        self.sheet = book[self.title] if self.title in book.sheetnames else None
        self.problems = problems

    def rows(self) -> Iterator[tuple[int, dict]]:
        if self.sheet is None:
            return
        header = [str(c.value or "").strip() for c in self.sheet[1]]
        missing = [h for h in self.header if h not in header]
        if missing:
            self.problems.append(
                Problem(
                    f"{self.title}!1",
                    _("Missing columns: %(names)s") % {"names": ", ".join(missing)},
                )
            )
            return
        columns = {h: header.index(h) for h in self.header}
        for number, row in enumerate(self.sheet.iter_rows(min_row=2, values_only=True), start=2):
            values = {h: (row[i] if i < len(row) else None) for h, i in columns.items()}
            if all(v in (None, "") for v in values.values()):
                continue
            yield number, values

    def cell(self, row: int, column: str) -> str:
        letter = get_column_letter(self.header.index(column) + 1)
        return f"{self.title}!{letter}{row}"


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _year(value: object) -> object:
    text = _text(value)
    return int(text) if text.isdigit() else text


def _figure(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() else value
    return _text(value)


def _open(data: bytes):
    try:
        return load_workbook(io.BytesIO(data), data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not xlsx
        message = _("The file cannot be read as an Excel workbook (.xlsx): %(error)s")
        raise planfile.PlanFileError([Problem("", message % {"error": error})]) from error


def read_workbook(data: bytes) -> tuple[dict, planfile.Locate]:
    """Read a plan workbook into a document; the locate function names sheet and cell."""
    book = _open(data)
    problems: list[Problem] = []
    places: dict[DocPath, str] = {}
    if "計画" not in book.sheetnames or "体系" not in book.sheetnames:
        raise planfile.PlanFileError(
            [
                Problem(
                    "", _("The workbook needs the sheets 計画 and 体系 (see docs/plan-format.md)")
                )
            ]
        )

    info: dict = {}
    sheet = book["計画"]
    for number, row in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        key = _text(row[2] if len(row) > 2 else "")
        value = row[1] if len(row) > 1 else None
        place = f"計画!B{number}"
        if not key or value in (None, ""):
            continue
        if key.startswith("period."):
            info.setdefault("period", {})[key.split(".")[1]] = _year(value)
            places[("plan", "period", key.split(".")[1])] = place
            continue
        places[("plan", key)] = place
        if key in LIST_FIELDS:
            info[key] = _split(value)
        elif key == "review_points":
            info[key] = []
            for line in _split(value):
                year, _sep, rest = line.partition(" ")
                kind, _sep, label = rest.partition(" ")
                point = {"fiscal_year": _year(year), "kind": kind}
                if label:
                    point["label"] = label
                info[key].append(point)
        elif key == "section_headings":
            info[key] = dict(line.split("=", 1) for line in _split(value) if "=" in line)
        elif key == "demo":
            info[key] = _text(value) == YES
        elif key in INT_FIELDS:
            info[key] = _year(value)
        elif key == "maintain_tolerance_percent":
            info[key] = float(value) if isinstance(value, int | float) else _text(value)
        else:
            info[key] = _text(value)
    places[("plan",)] = "計画!A1"

    doc: dict = {"format": planfile.FORMAT, "plan": info, "levels": []}
    levels = _Cells(book, "levels", problems)
    for number, row in levels.rows():
        level = {"key": _text(row["キー"]), "name": _text(row["名称"])}
        if _text(row["上位階層"]):
            level["under"] = _text(row["上位階層"])
        for field, column in (
            ("may_be_top", "最上位可"),
            ("evaluated", "評価対象"),
            ("cross_cutting", "横断"),
        ):
            if _text(row[column]) == YES:
                level[field] = True
        places[("levels", len(doc["levels"]))] = levels.cell(number, "キー")
        doc["levels"].append(level)
    places[("levels",)] = "階層!A1"
    actors = _Cells(book, "actors", problems)
    doc["actors"] = []
    for number, row in actors.rows():
        places[("actors", len(doc["actors"]))] = actors.cell(number, "キー")
        doc["actors"].append({"key": _text(row["キー"]), "name": _text(row["名称"])})
    grades = _Cells(book, "grades", problems)
    grade_rows = []
    for number, row in grades.rows():
        places[("grades", len(grade_rows))] = grades.cell(number, "評価")
        grade = {
            "grade": _text(row["評価"]),
            "label": _text(row["名称"]),
            "score": _figure(row["点数"]),
        }
        if _text(row["定義"]):
            grade["definition"] = _text(row["定義"])
        grade_rows.append(grade)
    if grade_rows:
        doc["grades"] = grade_rows

    doc["nodes"] = _read_nodes(book, problems, places)
    if problems:
        raise planfile.PlanFileError(problems)

    def locate(path: DocPath) -> str:
        path = tuple(path)
        while path and path not in places:
            path = path[:-1]
        return places.get(path, "")

    return doc, locate


def _read_nodes(book, problems: list[Problem], places: dict[DocPath, str]) -> list[dict]:
    nodes_sheet = _Cells(book, "nodes", problems)
    by_ref: dict[str, dict] = {}
    top: list[dict] = []
    for number, row in nodes_sheet.rows():
        ref, parent_ref = _text(row["参照"]), _text(row["上位参照"])
        node: dict = {"level": _text(row["階層"]), "label": _text(row["番号"])}
        if _text(row["名称"]):
            node["title"] = _text(row["名称"])
        if _text(row["重点"]) == YES:
            node["priority"] = True
        for field, column in (("themes", "テーマ"), ("responsible", "担当課"), ("links", "関連")):
            if _split(row[column]):
                node[field] = _split(row[column])
        node["_place"], node["_ref"], node["_cell"] = number, ref, nodes_sheet
        if not ref:
            problems.append(
                Problem(nodes_sheet.cell(number, "参照"), _("Every row needs a reference"))
            )
            continue
        if ref in by_ref:
            problems.append(
                Problem(
                    nodes_sheet.cell(number, "参照"),
                    _("Reference %(ref)s is used twice in this plan") % {"ref": ref},
                )
            )
            continue
        if parent_ref:
            parent = by_ref.get(parent_ref)
            if parent is None:
                problems.append(
                    Problem(
                        nodes_sheet.cell(number, "上位参照"),
                        _("No node above this row has the reference %(ref)s") % {"ref": parent_ref},
                    )
                )
                continue
            parent.setdefault("children", []).append(node)
            node["_labels"] = [*parent["_labels"], node["label"]]
        else:
            top.append(node)
            node["_labels"] = [node["label"]]
        by_ref[ref] = node

    def attach(sheet_name: str, column: str, handle) -> None:
        cells = _Cells(book, sheet_name, problems)
        for number, row in cells.rows():
            node = by_ref.get(_text(row[column]))
            if node is None:
                problems.append(
                    Problem(
                        cells.cell(number, column),
                        _("No node has the reference %(ref)s") % {"ref": _text(row[column])},
                    )
                )
                continue
            handle(node, row, number, cells)

    def add_section(node, row, number, cells):
        heading, text, items = _text(row["見出し"]), _text(row["本文"]), _split(row["箇条書き"])
        if heading or (text and items):
            value = {k: v for k, v in (("heading", heading), ("text", text), ("items", items)) if v}
        else:
            value = items or text
        node.setdefault("sections", {})[_text(row["種類"])] = value
        node.setdefault("_places", {})[("sections", _text(row["種類"]))] = cells.cell(
            number, "種類"
        )

    def add_role(node, row, number, cells):
        actor = _text(row["主体"])
        node.setdefault("roles", {}).setdefault(actor, []).append(_text(row["内容"]))
        node.setdefault("_places", {})[("roles", actor)] = cells.cell(number, "主体")

    def add_evaluation(node, row, number, cells):
        year = _text(row["年度"])
        evaluation = {"grade": _text(row["評価"])}
        for field, column in (
            ("results", "実績"),
            ("issues", "課題"),
            ("next_steps", "今後の方向性"),
            ("department", "担当課"),
        ):
            if _text(row[column]):
                evaluation[field] = _text(row[column])
        evaluation["status"] = _text(row["状態"]) or "draft"
        if _text(row["デモ"]) == YES:
            evaluation["demo"] = True
        node.setdefault("evaluations", {})[year] = evaluation
        node.setdefault("_places", {})[("evaluations", year)] = cells.cell(number, "年度")

    indicators: dict[str, tuple[dict, dict]] = {}

    def add_indicator(node, row, number, cells):
        iref = _text(row["指標参照"])
        indicator: dict = {
            "name": _text(row["指標名"]),
            "unit": _text(row["単位"]),
            "direction": _text(row["方向"]),
        }
        position = len(node.get("indicators", []))
        if iref and iref != f"{node['_ref']}#{position + 1}":
            indicator["ref"] = iref
        if _text(row["基準年度"]) or _text(row["基準値"]):
            indicator["baseline"] = {
                "fiscal_year": _year(row["基準年度"]),
                "value": _figure(row["基準値"]),
            }
        for field, column in (("department", "担当課"), ("note", "備考"), ("metric", "メトリクス")):
            if _text(row[column]):
                indicator[field] = _text(row[column])
        node.setdefault("indicators", []).append(indicator)
        places_of = node.setdefault("_places", {})
        places_of[("indicators", position)] = cells.cell(number, "指標名")
        places_of[("indicators", position, "baseline", "value")] = cells.cell(number, "基準値")
        places_of[("indicators", position, "direction")] = cells.cell(number, "方向")
        places_of[("indicators", position, "metric")] = cells.cell(number, "メトリクス")
        indicators[iref] = (node, indicator, position)

    attach("sections", "参照", add_section)
    attach("roles", "参照", add_role)
    attach("indicators", "参照", add_indicator)
    attach("evaluations", "参照", add_evaluation)

    for sheet_name, value_column in (("targets", "目標値"), ("actuals", "実績値")):
        cells = _Cells(book, sheet_name, problems)
        for number, row in cells.rows():
            iref = _text(row["指標参照"])
            if iref not in indicators:
                problems.append(
                    Problem(
                        cells.cell(number, "指標参照"),
                        _("No indicator has the reference %(ref)s") % {"ref": iref},
                    )
                )
                continue
            node, indicator, position = indicators[iref]
            year = _text(row["年度"])
            if sheet_name == "targets":
                if _text(row["未設定の理由"]):
                    value = {"unset": True, "reason": _text(row["未設定の理由"])}
                    if _text(row["表記"]):
                        value["printed"] = _text(row["表記"])
                else:
                    value = _figure(row["目標値"])
                indicator.setdefault("targets", {})[year] = value
                node["_places"][("indicators", position, "targets", year)] = cells.cell(
                    number, value_column
                )
            else:
                actual = {"value": _figure(row["実績値"])}
                for field, column in (("source", "出典"), ("note", "備考")):
                    if _text(row[column]):
                        actual[field] = _text(row[column])
                if _text(row["デモ"]) == YES:
                    actual["demo"] = True
                indicator.setdefault("actuals", {})[year] = actual
                node["_places"][("indicators", position, "actuals", year)] = cells.cell(
                    number, value_column
                )

    def finish(nodes: list[dict], path: DocPath) -> None:
        for index, node in enumerate(nodes):
            node_path = (*path, index)
            cells, number = node.pop("_cell"), node.pop("_place")
            labels, ref = node.pop("_labels"), node.pop("_ref")
            places[node_path] = cells.cell(number, "参照")
            places[(*node_path, "level")] = cells.cell(number, "階層")
            places[(*node_path, "label")] = cells.cell(number, "番号")
            places[(*node_path, "links")] = cells.cell(number, "関連")
            for sub, place in node.pop("_places", {}).items():
                places[(*node_path, *sub)] = place
            if ref != planfile.default_ref(labels):
                node["ref"] = ref
            finish(node.get("children", []), (*node_path, "children"))

    finish(top, ("nodes",))
    return [_ordered(node) for node in top]


# Keys in the order the YAML export writes them, so documents compare equal.
_NODE_ORDER = ["ref", "level", "label", "title", "priority", "themes", "responsible", "links",
               "sections", "roles", "indicators", "evaluations", "children"]  # fmt: skip


def _ordered(node: dict) -> dict:
    out = {key: node[key] for key in _NODE_ORDER if key in node}
    if "children" in out:
        out["children"] = [_ordered(child) for child in out["children"]]
    return out


def read_actuals(data: bytes, plan) -> list[dict]:
    """The 実績 sheet of a workbook (as exported) for an existing plan: every row checked
    before any is saved; PlanFileError lists each bad cell."""
    book = _open(data)
    problems: list[Problem] = []
    cells = _Cells(book, "actuals", problems)
    if cells.sheet is None:
        raise planfile.PlanFileError(
            [Problem("", _("The workbook has no sheet named %(name)s") % {"name": cells.title})]
        )
    indicators = {i.ref: i for i in plan.indicators.all()}
    rows = []
    for number, row in cells.rows():
        ref, year = _text(row["指標参照"]), _year(row["年度"])
        value = _figure(row["実績値"])
        if ref not in indicators:
            problems.append(
                Problem(
                    cells.cell(number, "指標参照"),
                    _("No indicator has the reference %(ref)s") % {"ref": ref},
                )
            )
        elif indicators[ref].metric_key:
            problems.append(
                Problem(
                    cells.cell(number, "指標参照"),
                    _("This indicator takes its actuals from the metric %(key)s")
                    % {"key": indicators[ref].metric_key},
                )
            )
        if not isinstance(year, int) or year not in plan.fiscal_years:
            problems.append(
                Problem(
                    cells.cell(number, "年度"),
                    _("Fiscal year %(year)s is outside the plan's period (%(start)s–%(end)s)")
                    % {"year": year, "start": plan.start_year, "end": plan.end_year},
                )
            )
        if planfile.parse_value(value) is None:
            problems.append(
                Problem(
                    cells.cell(number, "実績値"),
                    _(
                        "Cannot read a number in %(value)s; write the number first and any annotation in brackets"
                    )
                    % {"value": f"「{value}」"},
                )
            )
        rows.append({"indicator": ref, "fiscal_year": year, "value": value,
                     "source": _text(row["出典"]), "note": _text(row["備考"])})  # fmt: skip
    if problems:
        raise planfile.PlanFileError(problems)
    if not rows:
        raise planfile.PlanFileError([Problem(cells.title, _("The sheet holds no rows"))])
    return rows
