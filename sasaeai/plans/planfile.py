"""The plan file (docs/plan-format.md): reading YAML/JSON with line numbers, every check made
before anything is saved, and the document a saved plan exports as.

A *document* is the plain-JSON form of a plan file (string keys, lists, numbers). Readers
return it with a `locate` function that turns a path inside the document into a place a
person can find ("12行目", "指標!D7"); the checks return every problem with its place.
"""

import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import jsonschema
import yaml
from django.utils.translation import gettext as _

from sasaeai.core import metrics

FORMAT = "sasaeai-plan/1"
SCHEMA_PATH = Path(__file__).parent / "schema" / "plan.schema.json"
DocPath = tuple[str | int, ...]
Locate = Callable[[DocPath], str]


@dataclass(frozen=True)
class Problem:
    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}" if self.place else self.message


class PlanFileError(Exception):
    """The file cannot be imported; `problems` lists every reason, each with its place."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


# --- values -----------------------------------------------------------------------------

_VALUE = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*(?:\((.*)\))?$", re.DOTALL)


@dataclass(frozen=True)
class Value:
    number: Decimal
    text: str  # as printed; empty when the file gave a plain number
    annotation: str


def parse_value(raw: object) -> Value | None:
    """A figure as printed ("83.0（39/47校）", "3,232", "１２") → its number and annotation.

    None when no number can be read: the caller reports it; a figure is never guessed.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float | Decimal):
        return Value(Decimal(str(raw)), "", "")
    if not isinstance(raw, str):
        return None
    folded = unicodedata.normalize("NFKC", raw).strip().replace(",", "")
    match = _VALUE.match(folded)
    if not match:
        return None
    try:
        number = Decimal(match.group(1))
    except InvalidOperation:
        return None
    annotation = ""
    if match.group(2) is not None:
        # Keep the annotation exactly as printed, brackets' content only.
        opening = [i for i in (raw.find("（"), raw.find("(")) if i >= 0]
        start = min(opening) if opening else -1
        annotation = raw.rstrip()[start + 1 : -1].strip() if start >= 0 else match.group(2)
    return Value(number, raw.strip(), annotation)


def value_out(number: Decimal | None, text: str) -> object:
    """The inverse of parse_value for export: the printed text, else a plain number."""
    if text:
        return text
    if number is None:
        return None
    normal = number.normalize()
    return int(normal) if normal == normal.to_integral_value() else float(normal)


def format_number(number: Decimal | float | None) -> str:
    if number is None:
        return "―"
    value = Decimal(str(number)).normalize()
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,f}"


# --- reading ----------------------------------------------------------------------------


def _line_map(node: yaml.Node, path: DocPath, lines: dict[DocPath, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, str(key_node.value))
            _line_map(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*path, index), lines)


def _locator(lines: dict[DocPath, int]) -> Locate:
    def locate(path: DocPath) -> str:
        path = tuple(path)
        while path and path not in lines:
            path = path[:-1]
        line = lines.get(path)
        return _("line %(line)s") % {"line": line} if line else ""

    return locate


def _jsonable(data: object) -> object:
    """YAML reads `2025:` as an int key; the document's keys are strings, as in JSON."""
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))


# A plan file of a few thousand nodes holds well under 100,000 items; aliases that expand a
# file past this many are an alias bomb ("billion laughs"), refused before anything expands.
MAX_EXPANDED_ITEMS = 200_000


def _line_place(mark) -> str:
    return _("line %(line)s") % {"line": mark.line + 1} if mark else ""


def _alias_problem(node: yaml.Node, message: str) -> PlanFileError:
    return PlanFileError([Problem(_line_place(node.start_mark), message)])


def _check_aliases(root: yaml.Node) -> None:
    """Refuse a node graph that refers to itself or expands beyond MAX_EXPANDED_ITEMS.

    PyYAML composes an alias as the same node object; a cycle would recurse forever when read
    and a deep chain of aliases would expand to billions of items. Sizes are counted once per
    node (memoised), so checking a bomb costs as little as reading it.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise _alias_problem(node, _("An alias (*) refers to the item it is part of, so the file never ends; write the item out instead."))  # fmt: skip
        open_nodes.add(key)
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = []
        total = 1 + sum(size(child) for child in children)
        open_nodes.discard(key)
        if total > MAX_EXPANDED_ITEMS:
            raise _alias_problem(node, _("Aliases (*) expand the file to more than %(limit)s items; write the items out instead.") % {"limit": f"{MAX_EXPANDED_ITEMS:,}"})  # fmt: skip
        sizes[key] = total
        return total

    size(root)


def _unreadable(error: Exception, place: str) -> PlanFileError:
    if isinstance(error, yaml.reader.ReaderError) and error.character in (0, "\x00"):
        message = _(
            "The file contains a NUL character (\\u0000), which cannot be saved; remove it."
        )
        return PlanFileError([Problem(place, message)])
    return PlanFileError(
        [
            Problem(
                place,
                _("The file cannot be read as YAML or JSON: %(error)s")
                % {"error": getattr(error, "problem", None) or error},
            )
        ]
    )


def read_text(text: str) -> tuple[dict, Locate]:
    """Read a YAML or JSON plan file (JSON is YAML), remembering the line of every item."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is not None:
            _check_aliases(root)
        data = yaml.safe_load(text)
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        raise _unreadable(error, _("line %(line)s") % {"line": line}) from error
    except yaml.YAMLError as error:
        raise _unreadable(error, _line_place(getattr(error, "problem_mark", None))) from error
    except RecursionError as error:
        raise PlanFileError(
            [Problem("", _("The file is nested too deeply to be a plan."))]
        ) from error
    if not isinstance(data, dict) or root is None:
        raise PlanFileError([Problem("", _("The file does not hold a plan."))])
    lines: dict[DocPath, int] = {}
    _line_map(root, (), lines)
    return _jsonable(data), _locator(lines)


# --- checking ---------------------------------------------------------------------------


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _schema_message(error: jsonschema.ValidationError) -> str:
    kind = error.validator
    if kind == "required":
        missing = [name for name in error.validator_value if name not in (error.instance or {})]
        return _("Required item is missing: %(names)s") % {"names": ", ".join(missing)}
    if kind == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        patterns = error.schema.get("patternProperties", {})
        extra = [
            key
            for key in error.instance
            if key not in allowed and not any(re.match(p, key) for p in patterns)
        ]
        return _("Unknown item: %(names)s") % {"names": ", ".join(extra)}
    if kind == "enum":
        return _("Must be one of: %(choices)s") % {
            "choices": ", ".join(str(c) for c in error.validator_value)
        }
    if kind == "const":
        return _("Must be %(value)s") % {"value": error.validator_value}
    if kind == "type":
        return _("Wrong kind of value (expected %(type)s)") % {"type": error.validator_value}
    if kind in ("minLength", "minItems", "minProperties"):
        return _("Must not be empty")
    if kind == "pattern":
        return _("Value %(value)s is not in the expected form") % {"value": error.instance}
    if kind in ("minimum", "maximum"):
        return _("Value %(value)s is out of range") % {"value": error.instance}
    if kind == "maxLength":
        return _("Too long (at most %(limit)s characters)") % {"limit": error.validator_value}
    return _("Value is not in the expected form")


def check_schema(doc: dict, locate: Locate) -> list[Problem]:
    validator = jsonschema.Draft202012Validator(schema())
    problems = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.path]):
        problems.append(Problem(locate(tuple(error.absolute_path)), _schema_message(error)))
    return problems


def walk_nodes(
    nodes: list[dict], path: DocPath = ("nodes",), parent: dict | None = None
) -> Iterator[tuple[dict, DocPath, dict | None]]:
    for index, node in enumerate(nodes):
        node_path = (*path, index)
        yield node, node_path, parent
        yield from walk_nodes(node.get("children", []), (*node_path, "children"), node)


def default_ref(labels: list[str]) -> str:
    return "/".join(labels)


def assign_refs(doc: dict, *, explicit_only: bool = False) -> dict[int, str]:
    """Each node's ref: its own, else its path of labels (id(node) → ref).

    With explicit_only, only the refs that differ from the path of labels: those are what
    an export must write out for the plan to come back the same.
    """
    refs: dict[int, str] = {}

    def visit(nodes: list[dict], labels: list[str]) -> None:
        for node in nodes:
            path = [*labels, str(node.get("label", ""))]
            implicit = default_ref(path)
            ref = node.get("ref") or implicit
            if not explicit_only or ref != implicit:
                refs[id(node)] = ref
            visit(node.get("children", []), path)

    visit(doc.get("nodes", []), [])
    return refs


def check_meaning(doc: dict, locate: Locate) -> list[Problem]:
    """What the schema cannot say: the tree's shape, references, years, values and grades."""
    problems: list[Problem] = []

    def report(path: DocPath, message: str) -> None:
        problems.append(Problem(locate(path), message))

    plan = doc["plan"]
    start, end = plan["period"]["start"], plan["period"]["end"]
    if end < start:
        report(("plan", "period"), _("The period ends before it starts"))

    def check_year(path: DocPath, year: int | str) -> None:
        if not start <= int(year) <= end:
            report(
                path,
                _("Fiscal year %(year)s is outside the plan's period (%(start)s–%(end)s)")
                % {"year": year, "start": start, "end": end},
            )

    for index, point in enumerate(plan.get("review_points", [])):
        check_year(("plan", "review_points", index), point["fiscal_year"])

    levels: dict[str, dict] = {}
    for index, level in enumerate(doc["levels"]):
        if level["key"] in levels:
            report(("levels", index, "key"), _("Level key %(key)s is defined twice") % level)
        levels[level["key"]] = level
    for index, level in enumerate(doc["levels"]):
        if "under" in level and level["under"] not in levels:
            report(
                ("levels", index, "under"), _("Unknown level: %(key)s") % {"key": level["under"]}
            )

    actors = set()
    for index, actor in enumerate(doc.get("actors", [])):
        if actor["key"] in actors:
            report(("actors", index, "key"), _("Actor key %(key)s is defined twice") % actor)
        actors.add(actor["key"])

    grades = [g["grade"] for g in doc.get("grades", [])] or ["A", "B", "C", "D"]
    if len(set(grades)) != len(grades):
        report(("grades",), _("A grade is defined twice"))

    refs = assign_refs(doc)
    seen_refs: dict[str, DocPath] = {}
    all_refs = set(refs.values())
    indicator_refs: set[str] = set()
    published = metrics.is_published

    for node, path, parent in walk_nodes(doc["nodes"]):
        level = levels.get(node["level"])
        ref = refs[id(node)]
        if ref in seen_refs:
            report(
                (*path, "ref") if "ref" in node else (*path, "label"),
                _("Reference %(ref)s is used twice in this plan") % {"ref": ref},
            )
        seen_refs[ref] = path
        if level is None:
            report((*path, "level"), _("Unknown level: %(key)s") % {"key": node["level"]})
        elif parent is None:
            if level.get("under") and not level.get("may_be_top"):
                report(
                    (*path, "level"),
                    _("A %(level)s cannot stand at the top; it belongs under a %(under)s")
                    % {
                        "level": level["name"],
                        "under": levels.get(level["under"], {}).get("name", level["under"]),
                    },
                )
        elif parent.get("level") in levels and level.get("under") != parent["level"]:
            report(
                (*path, "level"),
                _("A %(level)s cannot be placed under a %(parent)s")
                % {"level": level["name"], "parent": levels[parent["level"]]["name"]},
            )
        labels = [child["label"] for child in node.get("children", [])]
        for index, label in enumerate(labels):
            if label in labels[:index]:
                report(
                    (*path, "children", index, "label"),
                    _("Label %(label)s is used twice among the same siblings") % {"label": label},
                )
        for index, link in enumerate(node.get("links", [])):
            if link not in all_refs:
                report(
                    (*path, "links", index), _("No node has the reference %(ref)s") % {"ref": link}
                )
        if node.get("links") and level and not level.get("cross_cutting"):
            report((*path, "links"), _("Only nodes of a cross-cutting level may link other nodes"))
        for actor in node.get("roles", {}):
            if actor not in actors:
                report((*path, "roles", actor), _("Unknown actor: %(key)s") % {"key": actor})
        for year, evaluation in node.get("evaluations", {}).items():
            where = (*path, "evaluations", year)
            check_year(where, year)
            if level and not level.get("evaluated"):
                report(
                    where,
                    _("Nodes of level %(level)s are not evaluated") % {"level": level["name"]},
                )
            if evaluation["grade"] not in grades:
                report(
                    (*where, "grade"),
                    _("Grade %(grade)s is not on this plan's scale (%(scale)s)")
                    % {"grade": evaluation["grade"], "scale": "・".join(grades)},
                )
        for index, indicator in enumerate(node.get("indicators", [])):
            where = (*path, "indicators", index)
            iref = indicator.get("ref") or f"{ref}#{index + 1}"
            if iref in indicator_refs:
                report(
                    (*where, "ref"), _("Indicator reference %(ref)s is used twice") % {"ref": iref}
                )
            indicator_refs.add(iref)
            problems.extend(_check_indicator(indicator, where, locate, check_year, published))
    return problems


def _check_indicator(indicator, where, locate, check_year, published) -> list[Problem]:
    problems = []

    def check_value(path: DocPath, raw: object) -> None:
        if parse_value(raw) is None:
            problems.append(
                Problem(
                    locate(path),
                    _(
                        "Cannot read a number in %(value)s; write the number first and any annotation "
                        "in brackets, or mark a target as unset with its reason"
                    )
                    % {"value": f"「{raw}」"},
                )
            )

    if "baseline" in indicator:
        check_value((*where, "baseline", "value"), indicator["baseline"]["value"])
    for year, target in indicator.get("targets", {}).items():
        check_year((*where, "targets", year), year)
        if not isinstance(target, dict):
            check_value((*where, "targets", year), target)
    for year, actual in indicator.get("actuals", {}).items():
        check_year((*where, "actuals", year), year)
        check_value((*where, "actuals", year, "value"), actual["value"])
    if indicator.get("metric") and not published(indicator["metric"]):
        problems.append(
            Problem(
                locate((*where, "metric")),
                _("No module publishes the metric %(key)s") % {"key": indicator["metric"]},
            )
        )
    return problems


def _nul_paths(data: object, path: DocPath = ()) -> Iterator[DocPath]:
    if isinstance(data, dict):
        for key, value in data.items():
            if "\x00" in str(key):
                yield (*path, key)
            yield from _nul_paths(value, (*path, key))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from _nul_paths(item, (*path, index))
    elif isinstance(data, str) and "\x00" in data:
        yield path


def check_characters(doc: dict, locate: Locate) -> list[Problem]:
    """NUL cannot be stored in a PostgreSQL text column; name its place rather than fail there."""
    message = _("Contains a NUL character (\\u0000), which cannot be saved; remove it.")
    return [Problem(locate(path), message) for path in _nul_paths(doc)]


def check(doc: dict, locate: Locate) -> list[Problem]:
    problems = check_characters(doc, locate) + check_schema(doc, locate)
    if problems:
        # The meaning checks assume the shape is right; shape problems come first.
        return problems
    return check_meaning(doc, locate)


def load(text: str) -> dict:
    """Read and check a YAML/JSON plan file; the document, or PlanFileError with every problem."""
    doc, locate = read_text(text)
    problems = check(doc, locate)
    if problems:
        raise PlanFileError(problems)
    return doc


# --- writing ----------------------------------------------------------------------------


def _int_year_keys(data: object) -> object:
    if isinstance(data, dict):
        return {
            (int(k) if isinstance(k, str) and k.isdigit() and len(k) == 4 else k): _int_year_keys(v)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_int_year_keys(item) for item in data]
    return data


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper, text):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump_yaml(doc: dict) -> str:
    return yaml.dump(
        _int_year_keys(doc), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000
    )


def dump_json(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
