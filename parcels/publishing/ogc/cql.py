"""CQL2 filters (OGC API – Features Part 3) as SQL over a layer, with bound parameters.

`cql2` (cql2-rs) reads both encodings, CQL2 text and CQL2 JSON, and validates them
against the standard's JSON Schema; this module walks the standard JSON it gives
back and writes one SQL condition over the layer's FROM clause. Nothing the client
sent becomes SQL text: a property is looked up in the layer's columns (its SQL is
ours), every literal is a bound parameter (`%(cql_N)s`), every operator and function
is one of the table below. What is not there is refused with a 400 naming it.

Types are checked before PostgreSQL sees the statement, so a mistyped filter is a
clear refusal, not a database error: text compares with text, numbers with numbers,
dates with dates (a date may be typed as 'YYYY-MM-DD' text), geometry with geometry.

- Literal geometries are in the `filter-crs` (CRS84 by default) and are checked with
  shapely (valid, finite, somewhere in the storage CRS) before PostGIS transforms them.
- A timestamp is compared as its day in the register's time zone: the layers' dates are
  days in law, not moments.
- Temporal predicates follow Allen's relations on closed intervals of days; an instant
  is an interval of one day, '..' an open end. `INTERVAL(valid_from, valid_to)` is a
  feature's lifespan, its NULL end (still in force) an open end.
- `LIKE` takes CQL2's wildcards, which are PostgreSQL's ('%', '_', escape '\\').
"""

from __future__ import annotations

import datetime as dt
import json
import math
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import cql2
import shapely
import shapely.geometry
import shapely.validation
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from landinfo import params as public
from landinfo.profiles.text import quote_input
from landinfo.srid import STORAGE_SRID, is_geographic
from parcels.publishing import layers
from parcels.publishing.layers import Layer

GEOMETRY = "geometry"  # the name of every layer's geometry in filters and queryables
MAX_FILTER_LENGTH = 20_000  # characters: a filter is a question, not a data upload
MAX_NODES = 2_000  # operators, properties and literals in one filter
MAX_DEPTH = 32  # operators within operators

_COMPARISONS = {"=": "=", "<>": "<>", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
# `%` is written mod(): a % in the statement's text is psycopg2's placeholder sign.
_ARITHMETIC = {"+": "+", "-": "-", "*": "*", "/": "/", "div": "/", "^": "^", "%": "mod"}
_SPATIAL = {
    "s_intersects": "ST_Intersects",
    "s_disjoint": "ST_Disjoint",
    "s_contains": "ST_Contains",
    "s_within": "ST_Within",
    "s_touches": "ST_Touches",
    "s_crosses": "ST_Crosses",
    "s_overlaps": "ST_Overlaps",
    "s_equals": "ST_Equals",
}
# Allen's relations on closed day intervals [s1, e1] and [s2, e2].
_TEMPORAL: dict[str, str] = {
    "t_after": "{s1} > {e2}",
    "t_before": "{e1} < {s2}",
    "t_contains": "{s1} < {s2} AND {e1} > {e2}",
    "t_disjoint": "({e1} < {s2} OR {s1} > {e2})",
    "t_during": "{s1} > {s2} AND {e1} < {e2}",
    "t_equals": "{s1} = {s2} AND {e1} = {e2}",
    "t_finishedby": "{s1} < {s2} AND {e1} = {e2}",
    "t_finishes": "{s1} > {s2} AND {e1} = {e2}",
    "t_intersects": "{s1} <= {e2} AND {e1} >= {s2}",
    "t_meets": "{e1} = {s2}",
    "t_metby": "{s1} = {e2}",
    "t_overlappedby": "{s2} < {s1} AND {e2} > {s1} AND {e2} < {e1}",
    "t_overlaps": "{s1} < {s2} AND {e1} > {s2} AND {e1} < {e2}",
    "t_startedby": "{s1} = {s2} AND {e1} > {e2}",
    "t_starts": "{s1} = {s2} AND {e1} < {e2}",
}
_NUMERIC = frozenset({"integer", "number"})

# The conformance classes of CQL2 this module implements (declared by /conformance).
CONFORMANCE = tuple(
    f"http://www.opengis.net/spec/cql2/1.0/conf/{name}"
    for name in (
        "cql2-text",
        "cql2-json",
        "basic-cql2",
        "advanced-comparison-operators",
        "case-insensitive-comparison",
        "accent-insensitive-comparison",
        "basic-spatial-functions",
        "basic-spatial-functions-plus",
        "spatial-functions",
        "temporal-functions",
        "arithmetic",
        "property-property",
    )
)
LANGUAGES = ("cql2-text", "cql2-json")
# The draft's name of CQL2 text, which GDAL before 3.7 sends (and looks for in /api to
# send its -where clauses to the server rather than filter every feature itself).
ALIASES = {"cql-text": "cql2-text"}


class FilterError(ValueError):
    """A filter the layer cannot answer: its message names what is wrong (a 400)."""


@dataclass(frozen=True, slots=True)
class Value:
    """An SQL expression and what it is: string, integer, number, date, boolean, geometry."""

    sql: str
    type: str


@dataclass(frozen=True, slots=True)
class Period:
    """A closed interval of days as two SQL expressions (an open end is ±infinity)."""

    start: str
    end: str


def parse(text: str, language: str | None) -> Any:
    """Return the standard CQL2 JSON of a filter given as text or JSON; FilterError if malformed."""
    if len(text) > MAX_FILTER_LENGTH:
        raise FilterError(
            _("The filter is over %(most)s characters.") % {"most": MAX_FILTER_LENGTH}
        )
    language = (language or "cql2-text").lower()
    language = ALIASES.get(language, language)
    if language not in LANGUAGES:
        raise FilterError(
            _("filter-lang=%(language)s is not offered; use %(offered)s.")
            % {"language": quote_input(language), "offered": ", ".join(map(repr, LANGUAGES))}
        )
    try:
        expression = cql2.parse_json(text) if language == "cql2-json" else cql2.parse_text(text)
        standard = expression.to_json()
        if not (isinstance(standard, bool) or (isinstance(standard, dict) and "op" in standard)):
            raise FilterError(_not_a_condition(standard))
        if _depth(standard) > MAX_DEPTH:
            raise FilterError(
                _("The filter nests operators over %(most)s deep.") % {"most": MAX_DEPTH}
            )
        # Not cql2's validate(): its schema check took 30 ms for a comparison and grew
        # with each level (1.3 s at 40 NOTs, a worker's minutes at 1,500); the
        # translator checks every operator's arguments and types itself.
    except (cql2.ParseError, cql2.ValidationError, ValueError, RecursionError) as error:
        if isinstance(error, FilterError):
            raise
        # The parser's message points at the place in the text; the schema's repeats the
        # whole filter back, which is kept short.
        raise FilterError(
            _("The %(language)s filter cannot be read: %(error)s")
            % {"language": language, "error": quote_input(str(error)[:600])}
        ) from None
    return standard


@dataclass(slots=True)
class _Translation:
    """One filter being written as SQL over `layer`: its parameters and node count."""

    layer: Layer
    srid: int  # the CRS of literal geometries
    north_first: bool
    params: dict[str, Any] = field(default_factory=dict)
    nodes: int = 0

    def bind(self, value: Any) -> str:
        if isinstance(value, str):
            value = text_value(value)
        name = f"cql_{len(self.params)}"
        self.params[name] = value
        return f"%({name})s"

    def count(self) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise FilterError(_("The filter has over %(most)s terms.") % {"most": MAX_NODES})

    # --- conditions ---------------------------------------------------------------

    def condition(self, node: Any) -> str:
        """Return the SQL of a node that must be true or false."""
        self.count()
        if isinstance(node, bool):
            return "true" if node else "false"
        if not isinstance(node, Mapping) or "op" not in node:
            raise FilterError(_not_a_condition(node))
        op, args = str(node["op"]).lower(), list(node.get("args") or [])
        _check_arity(op, args)
        handler = self._CONDITIONS.get(op)
        if handler is not None:
            return handler(self, op, args)
        if op in _COMPARISONS:
            return self.comparison(op, args)
        if op in _SPATIAL:
            return self.spatial(op, args)
        if op in _TEMPORAL:
            return self.temporal(op, args)
        if op.startswith("a_"):
            raise FilterError(
                _("Array operators (%(op)s) are not offered: no attribute is an array.")
                % {"op": _show_op(op)}
            )
        raise FilterError(_("%(op)s is not a condition this API knows.") % {"op": _show_op(op)})

    def logical(self, op: str, args: list[Any]) -> str:
        if op == "not":
            return f"NOT ({self.condition(args[0])})"
        return "(" + f" {op.upper()} ".join(f"({self.condition(a)})" for a in args) + ")"

    def comparison(self, op: str, args: list[Any]) -> str:
        for name, value in (args[:2], args[1::-1]):
            if op == "=" and self.named_filter(name) and isinstance(value, str):
                # A named filter (a unit with everything below it, a zoning code) is
                # the layer's own SQL, its value bound under a name of this filter's.
                filter_name = name["property"]
                parameter = self.bind(value)
                return (
                    "("
                    + self.layer.filters[filter_name].replace(
                        f"%(filter_{filter_name})s", parameter
                    )
                    + ")"
                )
        left, right = self.comparable(args[0], args[1], op)
        return f"({left.sql}) {_COMPARISONS[op]} ({right.sql})"

    def like(self, op: str, args: list[Any]) -> str:
        left, pattern = self.expression(args[0]), self.expression(args[1])
        for value in (left, pattern):
            if value.type != "string":
                raise FilterError(
                    _("LIKE compares text; %(node)s is %(type)s.")
                    % {"node": _show(args[0]), "type": _type(value.type)}
                )
        written = _literal_text(args[1])
        if written is not None and (len(written) - len(written.rstrip("\\"))) % 2:
            raise FilterError(
                _(
                    "The LIKE pattern %(pattern)s ends with a lone \\ (the escape sign); write "
                    "\\\\ for a backslash."
                )
                % {"pattern": quote_input(written)}
            )
        return f"({left.sql}) LIKE ({pattern.sql})"

    def between(self, op: str, args: list[Any]) -> str:
        subject = self.expression(args[0])
        low, high = (self.literal_for(subject, arg, "BETWEEN") for arg in args[1:3])
        return f"({subject.sql}) BETWEEN ({low.sql}) AND ({high.sql})"

    def in_list(self, op: str, args: list[Any]) -> str:
        subject = self.expression(args[0])
        values = args[1] if isinstance(args[1], list) else [args[1]]
        if not values:
            raise FilterError(_("IN needs at least one value."))
        members = [self.literal_for(subject, value, "IN").sql for value in values]
        return f"({subject.sql}) IN ({', '.join(members)})"

    def is_null(self, op: str, args: list[Any]) -> str:
        return f"({self.expression(args[0]).sql}) IS NULL"

    _CONDITIONS: ClassVar[dict[str, Callable[[_Translation, str, list[Any]], str]]] = {
        "and": logical,
        "or": logical,
        "not": logical,
        "like": like,
        "between": between,
        "in": in_list,
        "isnull": is_null,
    }

    def comparable(self, a: Any, b: Any, op: str) -> tuple[Value, Value]:
        """Return both sides of a comparison, a text side read as the other's type if need be."""
        left, right = self.expression(a), self.expression(b)
        if left.type == right.type or {left.type, right.type} <= _NUMERIC:
            return left, right
        if right.type == "string" and _is_text_literal(b):
            return left, self.literal_for(left, b, op)
        if left.type == "string" and _is_text_literal(a):
            return self.literal_for(right, a, op), right
        raise FilterError(
            _("%(op)s compares like with like; %(a)s is %(a_type)s, %(b)s is %(b_type)s.")
            % {
                "op": _show_op(op),
                "a": _show(a),
                "a_type": _type(left.type),
                "b": _show(b),
                "b_type": _type(right.type),
            }
        )

    def literal_for(self, subject: Value, node: Any, op: str) -> Value:
        """Return the literal `node` as a value of the subject's type (dates may be text)."""
        value = self.expression(node)
        if value.type == subject.type or {value.type, subject.type} <= _NUMERIC:
            return value
        if subject.type == "date" and _is_text_literal(node):
            return Value(self.bind(_date(str(node))), "date")
        raise FilterError(
            _("%(op)s needs values of the attribute's kind (%(kind)s); %(node)s is %(type)s.")
            % {
                "op": _show_op(op),
                "kind": _type(subject.type),
                "node": _show(node),
                "type": _type(value.type),
            }
        )

    def spatial(self, op: str, args: list[Any]) -> str:
        left, right = (self.expression(arg) for arg in args[:2])
        for arg, value in zip(args, (left, right), strict=False):
            if value.type != "geometry":
                raise FilterError(
                    _("%(op)s compares geometries; %(node)s is %(type)s.")
                    % {"op": _show_op(op), "node": _show(arg), "type": _type(value.type)}
                )
        return f"{_SPATIAL[op]}({left.sql}, {right.sql})"

    def temporal(self, op: str, args: list[Any]) -> str:
        first, second = (self.period(arg, op) for arg in args[:2])
        return (
            "("
            + _TEMPORAL[op].format(s1=first.start, e1=first.end, s2=second.start, e2=second.end)
            + ")"
        )

    def period(self, node: Any, op: str) -> Period:
        if isinstance(node, Mapping) and "interval" in node:
            bounds = list(node["interval"])
            start = self.interval_end(bounds[0], "-infinity")
            end = self.interval_end(bounds[1], "infinity")
            return Period(start, end)
        value = self.expression(node)
        if value.type != "date":
            raise FilterError(
                _("%(op)s compares dates; %(node)s is %(type)s.")
                % {"op": _show_op(op), "node": _show(node), "type": _type(value.type)}
            )
        return Period(value.sql, value.sql)

    def interval_end(self, bound: Any, infinite: str) -> str:
        if bound == "..":
            return f"'{infinite}'::date"
        if isinstance(bound, str):
            return self.bind(_date(bound)) + "::date"
        value = self.expression(bound)
        if value.type != "date":
            raise FilterError(
                _("An interval's ends are dates; %(node)s is %(type)s.")
                % {"node": _show(bound), "type": _type(value.type)}
            )
        # A lifespan's NULL end (still in force) is open.
        return f"coalesce({value.sql}, '{infinite}'::date)"

    # --- expressions ----------------------------------------------------------------

    def expression(self, node: Any) -> Value:
        """Return the SQL of a value: a property, a literal, or a function of them."""
        self.count()
        if isinstance(node, bool):
            return Value("true" if node else "false", "boolean")
        if isinstance(node, int | float):
            if not math.isfinite(node):
                raise FilterError(_("%(node)s is not a number.") % {"node": node})
            return Value(self.bind(node), "number")
        if isinstance(node, str):
            return Value(self.bind(node), "string")
        if not isinstance(node, Mapping):
            raise FilterError(_not_a_value(node))
        if "property" in node:
            return self.property(str(node["property"]))
        if "date" in node or "timestamp" in node:
            return Value(self.bind(_date(str(node.get("date") or node.get("timestamp")))), "date")
        if "bbox" in node:
            return self.geometry(_bbox_polygon(node["bbox"], self.srid, self.north_first))
        if ("type" in node and "coordinates" in node) or node.get("type") == "GeometryCollection":
            return self.geometry(node)
        if "op" in node:
            return self.function(str(node["op"]).lower(), list(node.get("args") or []))
        raise FilterError(_not_a_value(node))

    def named_filter(self, node: Any) -> bool:
        """Tell whether `node` is a property that is one of the layer's named filters only."""
        if not (isinstance(node, Mapping) and set(node) == {"property"}):
            return False
        name = node["property"]
        return name in self.layer.filters and not any(
            c.name == name and c.queryable for c in self.layer.fields
        )

    def property(self, name: str) -> Value:
        if name == GEOMETRY:
            return Value(self.layer.geometry_sql, "geometry")
        if self.named_filter({"property": name}):
            raise FilterError(
                _(
                    "%(name)s is a named filter: it is compared with = and a code, as in %(example)s."
                )
                % {"name": quote_input(name), "example": f"{name} = '<code>'"}
            )
        column = next((c for c in self.layer.fields if c.name == name), None)
        if column is None or not column.queryable:
            raise FilterError(
                _("%(name)s is not a queryable of %(layer)s; the queryables are %(names)s.")
                % {
                    "name": quote_input(name),
                    "layer": repr(self.layer.name),
                    "names": ", ".join(queryable_names(self.layer)),
                }
            )
        return Value(column.sql, column.type)

    def function(self, op: str, args: list[Any]) -> Value:
        if op in ("casei", "accenti"):
            value = self.expression(args[0])
            if value.type != "string":
                raise FilterError(
                    _("%(op)s takes text; %(node)s is %(type)s.")
                    % {"op": _show_op(op), "node": _show(args[0]), "type": _type(value.type)}
                )
            if op == "casei":
                return Value(f"lower({value.sql})", "string")
            return Value(
                f"public.unaccent('public.unaccent'::regdictionary, {value.sql})", "string"
            )
        if op in _ARITHMETIC:
            left, right = (self.expression(arg) for arg in args[:2])
            for arg, value in zip(args, (left, right), strict=False):
                if value.type not in _NUMERIC:
                    raise FilterError(
                        _("%(op)s computes with numbers; %(node)s is %(type)s.")
                        % {"op": _show_op(op), "node": _show(arg), "type": _type(value.type)}
                    )
            if op in ("/", "div", "%"):
                # Division by zero is no value (the comparison is then not true), not an error.
                right = Value(f"NULLIF({right.sql}, 0)", right.type)
            expression = f"(({left.sql})::numeric {_ARITHMETIC[op]} ({right.sql})::numeric)"
            if op == "%":
                expression = f"mod(({left.sql})::numeric, ({right.sql})::numeric)"
            if op == "div":
                expression = f"trunc{expression}"
            return Value(expression, "number")
        raise FilterError(
            _("%(op)s is not a function this API knows; it knows %(known)s.")
            % {"op": _show_op(op), "known": "CASEI, ACCENTI, + - * / % div ^"}
        )

    def geometry(self, geojson: Any) -> Value:
        """Return a literal geometry, checked, in the storage CRS."""
        try:
            shape = shapely.geometry.shape(geojson)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
            raise FilterError(
                _("A geometry of the filter cannot be read: %(error)s.")
                % {"error": quote_input(str(error))}
            ) from None
        if self.north_first:
            shape = shapely.transform(shape, lambda xy: xy[:, ::-1])
        shape = _checked_geometry(shape, self.srid)
        sql = f"ST_Transform(ST_GeomFromText({self.bind(shape.wkt)}, {int(self.srid)}), {STORAGE_SRID})"
        return Value(sql, "geometry")


def queryable_names(layer: Layer) -> list[str]:
    """Return the names a filter may use on `layer`: queryable columns, named filters, geometry."""
    names = [c.name for c in layer.fields if c.queryable]
    return names + [name for name in layer.filters if name not in names] + [GEOMETRY]


def to_sql(layer: Layer, expression: Any, *, srid: int, north_first: bool) -> layers.Query:
    """Return the SQL condition of a parsed CQL2 expression over `layer`, and its parameters.

    `srid` and `north_first` describe the CRS of the filter's literal geometries.
    """
    translation = _Translation(layer, srid, north_first)
    try:
        sql = translation.condition(expression)
    except FilterError:
        raise
    except (IndexError, KeyError, TypeError, AttributeError, ValueError):
        # An operator with too few arguments, or a value where a list belongs: CQL2 JSON
        # that parses but is not a filter.
        raise FilterError(
            _(
                "The filter is malformed: an operator has too few arguments, or arguments "
                "of the wrong kind."
            )
        ) from None
    return layers.Query(sql=sql, params=translation.params)


def _depth(node: Any) -> int:
    """Return how deep operators nest in a CQL2 JSON expression (without recursion)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(current, Mapping):
            stack.extend((child, depth + 1) for child in current.values())
        elif isinstance(current, list):
            stack.extend((child, depth + 1) for child in current)
    return deepest // 2  # an operator is two levels of JSON: its object and its args


def text_value(text: str) -> str:
    """Return a text value as the register compares it: NFC, as addresses are stored.

    Refused when PostgreSQL could not hold it (a NUL, a lone surrogate).
    """
    if refusal := public.refusal_of_text("A text of the filter", text):
        raise FilterError(refusal)
    return unicodedata.normalize("NFC", text)


def _literal_text(node: Any) -> str | None:
    """Return the text a LIKE pattern is written as (through CASEI/ACCENTI), if a literal."""
    while isinstance(node, Mapping) and node.get("op") in ("casei", "accenti"):
        node = (node.get("args") or [None])[0]
    return node if isinstance(node, str) else None


def _is_text_literal(node: Any) -> bool:
    return isinstance(node, str)


def _date(text: str) -> dt.date:
    """Return the day of a date or an RFC 3339 timestamp (in the register's time zone)."""
    text = text.removesuffix("T")  # GDAL writes a day as 2020-01-01T
    try:
        if len(text) == len("YYYY-MM-DD"):
            return dt.date.fromisoformat(text)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise FilterError(
            _("%(text)s is not a date (YYYY-MM-DD) or timestamp (RFC 3339).")
            % {"text": quote_input(text)}
        ) from None
    if moment.tzinfo is None:
        raise FilterError(
            _("The timestamp %(text)s needs its offset (Z or +07:00).")
            % {"text": quote_input(text)}
        )
    return timezone.localtime(moment).date()


def _bbox_polygon(bbox: Any, srid: int, north_first: bool) -> dict[str, Any]:
    """Return a BBOX as GeoJSON in the CRS's axis order: a polygon, or two across the
    antimeridian (west edge east of the east edge, in a geographic CRS)."""
    numbers = list(bbox) if isinstance(bbox, list) else []
    if len(numbers) == 6:  # heights are not stored
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(isinstance(n, int | float) for n in numbers):
        raise FilterError(_("A bbox is 4 (or 6) numbers; got %(bbox)s.") % {"bbox": _show(bbox)})
    a1, a2, b1, b2 = numbers
    minx, miny, maxx, maxy = (a2, a1, b2, b1) if north_first else (a1, a2, b1, b2)
    if miny > maxy or (minx > maxx and not is_geographic(srid)):
        raise FilterError(
            _("%(bbox)s: the lower corner must be below the upper.")
            % {"bbox": f"BBOX{_show(bbox)}"}
        )
    spans = [(minx, 180.0), (-180.0, maxx)] if minx > maxx else [(minx, maxx)]
    rings = [[[[x0, miny], [x1, miny], [x1, maxy], [x0, maxy], [x0, miny]]] for x0, x1 in spans]
    if north_first:  # written in the CRS's order; geometry() reads it back to x/y
        rings = [[[[y, x] for x, y in ring] for ring in polygon] for polygon in rings]
    return {"type": "MultiPolygon", "coordinates": rings}


# How many arguments each operator takes (and/or: at least two).
_ARITY = {
    "not": 1,
    "isnull": 1,
    "like": 2,
    "in": 2,
    "between": 3,
    **dict.fromkeys(_COMPARISONS, 2),
    **dict.fromkeys(_SPATIAL, 2),
    **dict.fromkeys(_TEMPORAL, 2),
}


def _check_arity(op: str, args: list[Any]) -> None:
    """Refuse an operator given the wrong number of arguments (CQL2 JSON can say so)."""
    if op in ("and", "or"):
        if len(args) < 2:
            raise FilterError(
                _("%(op)s joins two conditions or more; got %(count)s.")
                % {"op": _show_op(op), "count": len(args)}
            )
    elif op in _ARITY and len(args) != _ARITY[op]:
        raise FilterError(
            _("%(op)s takes %(arity)s arguments; got %(count)s.")
            % {"op": _show_op(op), "arity": _ARITY[op], "count": len(args)}
        )


def _checked_geometry(shape: Any, srid: int) -> Any:
    """Return a literal geometry clipped to where the register can hold parcels.

    Refused when PostGIS could not use it: empty, invalid, not a number, or beyond the
    range of latitude and longitude in a geographic CRS.
    """
    if shape.is_empty:
        raise FilterError(_("A geometry of the filter is empty."))
    coordinates = shapely.get_coordinates(shape)
    if not math.isfinite(float(coordinates.sum())):
        raise FilterError(_("A geometry of the filter has a coordinate that is not a number."))
    if is_geographic(srid) and not (
        abs(coordinates[:, 0]).max() <= 180 and abs(coordinates[:, 1]).max() <= 90
    ):
        raise FilterError(
            _(
                "A geometry of the filter is not a place in its CRS (a latitude beyond 90 or a "
                "longitude beyond 180); check the coordinates, their order, and filter-crs."
            )
        )
    if not shape.is_valid:
        raise FilterError(
            _("A geometry of the filter is not valid: %(why)s.")
            % {"why": quote_input(shapely.validation.explain_validity(shape))}
        )
    return layers.clip_to_register(shape, srid)


def _show(node: Any) -> str:
    """Return a short rendering of a filter node for a message."""
    if isinstance(node, Mapping) and set(node) == {"property"}:
        return quote_input(str(node["property"]))
    text = json.dumps(node, ensure_ascii=False) if not isinstance(node, str) else repr(node)
    return text if len(text) <= 80 else text[:77] + "..."


# The kinds of value a filter compares, as its messages name them.
_TYPE_NAMES = {
    "string": gettext_noop("text"),
    "number": gettext_noop("a number"),
    "integer": gettext_noop("a whole number"),
    "date": gettext_noop("a date"),
    "timestamp": gettext_noop("a moment"),
    "geometry": gettext_noop("a geometry"),
    "boolean": gettext_noop("true or false"),
}


def _type(kind: str) -> str:
    """Return the kind of a value in the request's language (its code if it has no name)."""
    return _(_TYPE_NAMES[kind]) if kind in _TYPE_NAMES else kind


def _not_a_condition(node: Any) -> str:
    return _(
        "A filter is a condition (a comparison, a predicate, and/or/not); %(node)s is a value."
    ) % {"node": _show(node)}


def _not_a_value(node: Any) -> str:
    return _("%(node)s is not a value a filter can compare.") % {"node": _show(node)}


def _show_op(op: str) -> str:
    return quote_input(op.upper())
