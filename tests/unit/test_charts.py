"""The report's pictures: the DAG's layers and rows (networkx's topological generations, then
dependencies' rows), and what a control chart says of each point."""

from __future__ import annotations

import re

from kitchen.reports import charts


def node(name: str, *after: str, status: str = "passed") -> charts.DagNode:
    return charts.DagNode(name, status, 0.5, after)


def test_each_node_is_drawn_one_layer_after_the_last_it_depends_on() -> None:
    places = charts.layout(
        [node("load"), node("left", "load"), node("right", "load"), node("mart", "left", "right")]
    )
    assert {name: layer for name, (layer, _) in places.items()} == {
        "load": 0,
        "left": 1,
        "right": 1,
        "mart": 2,
    }
    assert places["left"][1] != places["right"][1]


def test_within_a_layer_nodes_follow_their_dependencies_rows() -> None:
    """Alphabetical order would cross the two chains' edges; the rows of what they depend on
    keep them straight."""
    places = charts.layout(
        [node("b_source"), node("c_source"), node("z_mart", "b_source"), node("a_mart", "c_source")]
    )
    assert places["b_source"] == (0, 0) and places["c_source"] == (0, 1)
    assert places["z_mart"] == (1, 0) and places["a_mart"] == (1, 1)


def test_a_recorded_cycle_is_drawn_in_run_order_not_refused() -> None:
    assert charts.layout([node("a", "b"), node("b", "a")]) == {"a": (0, 0), "b": (1, 0)}


def test_a_control_chart_says_which_point_is_out_and_why() -> None:
    points = [
        {"run": f"r{i}", "at": f"2026-12-0{i + 1}", "value": v, "state": "in control", "why": ""}
        for i, v in enumerate([100, 101, 99, 100, 102])
    ]
    points.append(
        {
            "run": "r5",
            "at": "2026-12-06",
            "value": 50,
            "state": "out of control",
            "why": "beyond 3 sigma",
        }
    )
    svg = charts.svg(charts.control_chart(points, [95.0, 100.4, 105.8], "orders.volume"))
    said = re.findall(r'aria-roledescription="point"[^>]*aria-label="([^"]+)"', svg) or re.findall(
        r'aria-label="([^"]+)"[^>]*aria-roledescription="point"', svg
    )
    assert said[-1] == "2026-12-06: 50, out of control (beyond 3 sigma)"
    assert sum(label.endswith(", in control") for label in said) == 5
    assert "upper limit: 105.8" in svg and "beyond 3 sigma</text>" in svg
