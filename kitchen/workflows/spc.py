"""An SPC check's history: its past values on data like the kitchen's, from the kitchen's
runs and then its parent's, and which rows those values were measured on."""

from __future__ import annotations

from kitchen.backends.registry import Registry
from kitchen.model import Kitchen
from kitchen.pipelines import checks, model
from kitchen.project import Project


def history(
    project: Project, kitchen: Kitchen, where: tuple[str, str, model.Check]
) -> checks.History:
    """The check's past metric values on data like this kitchen's, newest first: its own
    runs, then its parent's, up to the root of its environment (another environment's data,
    production's to a dev kitchen, is not the same data, and its registry may well be
    closed to this user). A value measured on other rows (a sample against all rows, or
    another sample) is left out: its limits would not be this data's."""
    pipeline, node, check = where
    registry = project.registry(kitchen.environment)
    shape = data_shape(registry, kitchen)
    copied = kitchen.data.copied_at if kitchen.data else ""
    values: list[float] = []
    own = 0  # how many of them are the kitchen's: its runs come first
    window = check.check.window if isinstance(check.check, model.Spc) else 0
    for here, run in registry.lineage_runs(kitchen):
        if len(values) >= window:  # the limits need no more: older runs are not read
            break
        mine = here.name == kitchen.name
        for result in run.checks:
            if result.metric is None or result.status == "error":
                continue  # not measured
            same = (result.pipeline or pipeline, result.node, result.name)
            alike = result.shape == shape or (  # before shapes were recorded:
                not result.shape_recorded  # the kitchen's own runs on the data it holds
                and mine
                and run.started_at >= copied
            )
            if same == (pipeline, node, check.name) and alike:
                values.append(float(result.metric))
                own += mine
    return checks.History(values, shape, own)


def data_shape(registry: Registry, kitchen: Kitchen) -> str:
    """Which rows a kitchen's metrics are measured on: all rows, or a sample as it was drawn
    (a copy of all of a sampled kitchen's rows holds that kitchen's sample)."""
    seen = {kitchen.name}
    data = kitchen.data
    while data is not None and data.samplings and not data.sample and data.source:
        source = registry.get(data.source)
        if source is None or source.name in seen:  # another environment's, or gone
            return f"rows sampled upstream ({data.samplings} samplings)"
        seen.add(source.name)
        data = source.data
    if data is None:
        return "no copied data"
    if not data.samplings:
        return "all rows"
    drawn = f", {data.samplings} samplings" if data.samplings > 1 else ""
    return f"{data.sample}{drawn}"
