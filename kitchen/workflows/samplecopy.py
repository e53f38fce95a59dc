"""A sample's side of a copy: which sampling a copy takes (asked, configured, or none), the
keys and references its predicates follow, how it is described, and the check after it
that no copied row lost the parent it references (an orphan fails the copy, closed)."""

from __future__ import annotations

from kitchen import config
from kitchen.backends.warehouse.base import Reference, Warehouse
from kitchen.backends.warehouse.rows import TablePlan
from kitchen.data import sampling
from kitchen.errors import ChecksFailed, PreconditionFailed
from kitchen.model import Kitchen
from kitchen.project import Project
from kitchen.text import counted


def references(project: Project, origin: Warehouse, source: Kitchen) -> list[Reference]:
    """The source's foreign keys: its catalogue's, those its own copy recorded, the config's."""
    found = origin.foreign_keys(source.schema)
    if source.data:
        found += [
            Reference(t, tuple(c), p, tuple(pc), n) for t, c, p, pc, n in source.data.references
        ]
    found += sampling.virtual_references(project.config.data.sample.foreign_keys)
    return list(dict.fromkeys(found))  # each once, in order


def keys(origin: Warehouse, source: Kitchen) -> dict[str, list[str]]:
    """The source's primary keys: its catalogue's, and those its own copy recorded."""
    found = origin.primary_keys(source.schema)
    recorded = source.data.keys if source.data else {}
    return {**recorded, **{table: list(columns) for table, columns in found.items()}}


def sampling_for(
    project: Project,
    origin: Warehouse,
    types: dict[str, list[tuple[str, str]]],
    references: list[Reference],
    sample: str | None,
    *,
    keys: dict[str, list[str]],
    drawn: int,
) -> dict[str, TablePlan]:
    """The rows to copy, drawn with the seed moved on by the samples the source's data
    already went through (``drawn``): with the same seed a 10% sample of a 10% sample
    would keep every row it was given. Deterministic all the same."""
    columns = {table: [name for name, _ in found] for table, found in types.items()}
    settings = sample_settings(project)
    specs = [sample if sample is not None else settings.default, *settings.tables.values()]
    drawing = any(sampling.parse_spec(spec, "data.sample") is not sampling.ALL for spec in specs)
    if drawing and not origin.declares_keys and not references and len(columns) > 1:
        # an engine whose catalog holds no keys: sampled table by table, orders would
        # keep customers the sample left out. Refused, not labelled FK-consistent.
        raise PreconditionFailed(
            f"The {origin.environment} warehouse declares no foreign keys, so kitchen cannot "
            "tell which rows of one table another's need: a sample would leave orphans.",
            hint='Name them in data.sample.foreign_keys ("orders.customer_id -> '
            'customers.customer_id"), or copy every row (no --sample).',
        )
    settings = settings.model_copy(update={"seed": settings.seed + drawn})
    return sampling.plan(settings, columns, references, default=sample, keys=keys)


def samplings(source: Kitchen) -> int:
    """How many samples the source's data went through on its way from the root's (a
    kitchen recorded before kitchen counted them: one, if it was sampled)."""
    if source.data is None:
        return 0
    return max(source.data.samplings, 1 if source.data.sample else 0)


def sample_settings(project: Project) -> config.Sample:
    """``data.sample`` without the sizes and references of tables ``data.exclude`` leaves
    out."""
    settings = project.config.data.sample
    kept = {table: spec for table, spec in settings.tables.items() if not project.excluded(table)}
    references = [
        text
        for text, reference in zip(
            settings.foreign_keys, sampling.virtual_references(settings.foreign_keys), strict=True
        )
        if not (project.excluded(reference.table) or project.excluded(reference.parent))
    ]
    return settings.model_copy(update={"tables": kept, "foreign_keys": references})


def describe(project: Project, sample: str | None) -> str:
    settings = sample_settings(project)
    default = sampling.parse_spec(sample if sample is not None else settings.default, "--sample")
    parts = [f"{sampling.describe(default)} of each table"]
    parts += [
        f"{table}: {sampling.describe(sampling.parse_spec(spec, table))}"
        for table, spec in settings.tables.items()
    ]
    return f"{', '.join(parts)} (seed {settings.seed}), FK-consistent"


class DataCheckFailed(ChecksFailed):
    """A safety check over the copied rows found a problem: the copy does not stand."""


def check_orphans(
    warehouse: Warehouse, schema: str, references: list[Reference], tables: list[str]
) -> None:
    """Every key among the copied tables, declared or virtual, counted in the warehouse: a
    sampled row whose parent row was left out fails the copy, naming the key."""
    found = []
    for key in references:
        if key.table not in tables or key.parent not in tables:
            continue
        if orphans := warehouse.orphans(schema, key):
            found.append(
                f"{counted(orphans, 'row')} of {key.table} "
                f"({', '.join(key.columns)}) with no row in {key.parent}"
            )
    if found:
        raise DataCheckFailed(
            f"The sample is not FK-consistent: {'; '.join(found)}.",
            hint="Nothing was kept. Declare the key that links them under "
            "data.sample.foreign_keys if the database does not, then run the command again.",
        )
