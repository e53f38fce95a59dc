"""The pictures of reports and the dashboard: Vega-Lite specifications, rendered to SVG
offline by vl-convert (Vega's own renderer in an embedded JavaScript engine, no network, no
browser), and a DAG laid out in layers by networkx.

Every mark that means something carries an ``aria-label`` (Vega writes the ``description``
encoding there), so a screen reader, and a test, can tell a passed node from a failed one and
an out-of-control point from the others; edges, rings and labels are left out (``aria``
false).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kitchen.errors import ExitCode, KitchenError
from kitchen.text import number

Spec = dict[str, Any]

STATUS_COLOURS = {  # colour-blind safe (Okabe-Ito), each also said in words beside it
    "passed": "#009E73",
    "failed": "#D55E00",
    "skipped": "#999999",
    "in control": "#0072B2",
    "out of control": "#D55E00",
    "no limits yet": "#999999",
    "promote": "#0072B2",
    "rollback": "#D55E00",
}
WIDTH = 380  # the drawing's own units: a phone's page (343 px) scales it by 0.8 at least
LAYER = 130  # a DAG's width per layer of nodes
TIME_AXIS = {"tickCount": 3, "labelOverlap": True, "labelAngle": 0, "format": "%b %d %H:%M"}
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"


class ChartError(KitchenError):
    """vl-convert could not render a chart (a bug in the specification kitchen wrote)."""

    exit_code = ExitCode.INTERNAL


def svg(spec: Spec) -> str:
    """``spec`` drawn as an SVG document (its first call in a process loads Vega: ~1 s)."""
    import vl_convert

    chart = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "config": {
            "font": FONT,
            "view": {"stroke": None},
            "axis": {"labelFontSize": 12, "titleFontSize": 12},
            "legend": {"labelFontSize": 12, "columnPadding": 16, "labelLimit": 200},
            "title": {"fontSize": 14, "anchor": "start"},
            "text": {"fontSize": 12},
        },
        "background": None,
        **spec,
    }
    try:
        return str(vl_convert.vegalite_to_svg(chart))
    except ValueError as exc:
        raise ChartError(f"A chart could not be drawn: {exc}".splitlines()[0]) from None


def _colour(field: str, domain: list[str]) -> Spec:
    return {
        "field": field,
        "type": "nominal",
        "scale": {"domain": domain, "range": [STATUS_COLOURS[d] for d in domain]},
        "legend": {"orient": "bottom", "title": None},
    }


def control_chart(points: list[dict[str, Any]], limits: list[float] | None, title: str) -> Spec:
    """An SPC control chart: each point ``{"run", "at", "value", "state", "why"}`` (state:
    in control, out of control, no limits yet), the centre line, both limits dashed, and
    each out-of-control point ringed and labelled with why."""
    x = {"field": "run", "type": "ordinal", "sort": None, "title": "run", "axis": None}
    y = {"field": "value", "type": "quantitative", "title": None, "scale": {"zero": False}}
    states = ["in control", "out of control", "no limits yet"]
    layers: list[Spec] = [
        {"mark": {"type": "line", "color": "#888"}, "encoding": {"x": x, "y": y}},
        {
            "mark": {"type": "point", "filled": True, "size": 60},
            "encoding": {
                "x": x,
                "y": y,
                "color": _colour("state", states),
                "description": {"field": "description"},
            },
        },
        {
            "transform": [{"filter": "datum.state === 'out of control'"}],
            "mark": {
                "type": "point",
                "size": 300,
                "strokeWidth": 2,
                "color": "#D55E00",
                "aria": False,
            },
            "encoding": {"x": x, "y": y},
        },
        {
            "transform": [{"filter": "datum.state === 'out of control'"}],
            "mark": {
                "type": "text",
                "dy": -14,
                "align": "right",
                "color": "#D55E00",
                "fontWeight": "bold",
                "aria": False,
            },
            "encoding": {"x": x, "y": y, "text": {"field": "why"}},
        },
    ]
    for name, value, dash in zip(
        ("lower limit", "centre", "upper limit"), limits or [], ([5, 4], [], [5, 4]), strict=False
    ):
        layers.append(
            {
                "data": {"values": [{"line": name, "value": value}]},
                "mark": {"type": "rule", "strokeDash": dash, "color": "#555"},
                "encoding": {
                    "y": {"field": "value", "type": "quantitative"},
                    "description": {"value": f"{name}: {number(value)}"},
                },
            }
        )
    return {
        "title": title,
        "width": WIDTH,
        "height": 180,
        "data": {"values": [{**p, "description": _said(p)} for p in points]},
        "layer": layers,
    }


def _said(point: dict[str, Any]) -> str:
    """A control chart's point as a screen reader says it."""
    why = f" ({point['why']})" if point.get("why") else ""
    return f"{point['at']}: {number(point['value'])}, {point['state']}{why}"


def trend(points: list[dict[str, Any]], field: str, title: str, unit: str = "") -> Spec:
    """A value over time: each point ``{"at": ISO time, field: number, "series": name}``."""
    y_title = unit or field
    several = len({p["series"] for p in points}) > 1
    legend = {"orient": "bottom", "title": None} if several else None
    encoding = {
        "x": {
            "field": "at",
            "type": "temporal",
            "title": None,
            "axis": TIME_AXIS,
        },
        "y": {"field": field, "type": "quantitative", "title": y_title},
        "color": {"field": "series", "type": "nominal", "legend": legend},
        "tooltip": [
            {"field": "series"},
            {"field": "at", "type": "temporal", "format": "%Y-%m-%d %H:%M"},
            {"field": field},
        ],
    }
    return {
        "title": title,
        "width": WIDTH,
        "height": 160,
        "data": {"values": points},
        "mark": {"type": "line", "point": True},
        "encoding": encoding,
    }


def timeline(events: list[dict[str, Any]], title: str) -> Spec:
    """Releases and rollbacks on a time axis: each ``{"at", "tag", "kind", "kitchen"}``."""
    kinds = sorted({e["kind"] for e in events} & set(STATUS_COLOURS)) or ["promote"]
    return {
        "title": title,
        "width": WIDTH,
        "height": 90,
        "data": {"values": events},
        "layer": [
            {
                "mark": {"type": "point", "filled": True, "size": 120, "shape": "diamond"},
                "encoding": {
                    "x": {"field": "at", "type": "temporal", "title": None, "axis": TIME_AXIS},
                    "y": {"field": "kitchen", "type": "nominal", "title": None},
                    "color": _colour("kind", kinds),
                    "tooltip": [{"field": "tag"}, {"field": "kind"}, {"field": "at"}],
                },
            },
            {
                "mark": {"type": "text", "dy": -12},
                "encoding": {
                    "x": {"field": "at", "type": "temporal"},
                    "y": {"field": "kitchen", "type": "nominal"},
                    "text": {"field": "tag"},
                },
            },
        ],
    }


@dataclass(frozen=True)
class DagNode:
    name: str
    status: str  # passed, failed, skipped
    seconds: float
    depends_on: tuple[str, ...]


def dag(nodes: list[DagNode], title: str) -> Spec:
    """A pipeline's nodes in layers from left to right (each after what it depends on), an
    edge per dependency, each node coloured by its status and labelled with its duration."""
    places = layout(nodes)
    known = {node.name for node in nodes}
    edges = [
        {"x": places[d][0], "y": places[d][1], "x2": places[n.name][0], "y2": places[n.name][1]}
        for n in nodes
        for d in n.depends_on
        if d in known
    ]
    points: list[dict[str, Any]] = [
        {
            "node": n.name,
            "status": n.status,
            "seconds": round(n.seconds, 2),
            "x": places[n.name][0],
            "y": places[n.name][1],
            "label": f"{n.name} · {n.seconds:.1f} s",
            "description": f"{n.name}: {n.status}, {n.seconds:.2f} s",
        }
        for n in nodes
    ]
    columns = 1 + max((p["x"] for p in points), default=0)
    rows = 1 + max((p["y"] for p in points), default=0)
    x = {"field": "x", "type": "quantitative", "axis": None, "scale": {"domain": [-0.5, columns]}}
    y = {"field": "y", "type": "quantitative", "axis": None, "scale": {"domain": [rows, -0.7]}}
    statuses = [s for s in ("passed", "failed", "skipped") if any(n.status == s for n in nodes)]
    return {
        "title": title,
        "width": max(WIDTH, LAYER * columns),
        "height": max(60, 46 * rows),
        "layer": [
            {
                "data": {"values": edges},
                "mark": {"type": "rule", "color": "#999", "strokeWidth": 1.5, "aria": False},
                "encoding": {"x": x, "y": y, "x2": {"field": "x2"}, "y2": {"field": "y2"}},
            },
            {
                "data": {"values": points},
                "mark": {"type": "point", "filled": True, "size": 260, "shape": "square"},
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": _colour("status", statuses or ["passed"]),
                    "description": {"field": "description"},
                },
            },
            {
                "data": {"values": points},
                "mark": {"type": "text", "dy": 18, "aria": False},
                "encoding": {"x": x, "y": y, "text": {"field": "label"}},
            },
        ],
    }


def layout(nodes: list[DagNode]) -> dict[str, tuple[int, int]]:
    """(layer, row) of each node: its layer is its topological generation (networkx); within
    a layer, nodes sit in the order of their dependencies' rows (fewer crossing edges)."""
    import networkx

    graph: networkx.DiGraph[str] = networkx.DiGraph()
    graph.add_nodes_from(node.name for node in nodes)
    names = set(graph)
    graph.add_edges_from((d, n.name) for n in nodes for d in n.depends_on if d in names)
    if not networkx.is_directed_acyclic_graph(graph):  # a recorded cycle: one row, as run
        return {node.name: (index, 0) for index, node in enumerate(nodes)}
    places: dict[str, tuple[int, int]] = {}
    for layer, generation in enumerate(networkx.topological_generations(graph)):

        def barycentre(name: str) -> float:
            rows = [places[p][1] for p in graph.predecessors(name)]
            return sum(rows) / len(rows) if rows else 0.0

        for row, name in enumerate(sorted(generation, key=lambda n: (barycentre(n), n))):
            places[name] = (layer, row)
    return places
