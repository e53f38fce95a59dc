"""`kitchen lineage`: which tables each node reads and writes, and what a table comes from or
feeds."""

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.tree import Tree

from kitchen.cli.app import JsonOption, app, project_for, state_for
from kitchen.errors import BadInput

if TYPE_CHECKING:
    from kitchen.workflows.lineage import Graph, Reach


@app.command()
def lineage(
    ctx: typer.Context,
    table: Annotated[
        str | None, typer.Argument(metavar="TABLE", help="Follow this table (default: all).")
    ] = None,
    upstream: Annotated[
        bool, typer.Option("--upstream", help="What TABLE is made from (the default).")
    ] = False,
    downstream: Annotated[
        bool, typer.Option("--downstream", help="What is made from TABLE.")
    ] = False,
    kitchen: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="In this kitchen (default: the checked-out one)."),
    ] = None,
    pipeline: Annotated[
        str | None, typer.Option(metavar="NAME", help="Only this pipeline's nodes.")
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """The tables each pipeline node reads and writes: parsed from SQL nodes (column by column
    where the SQL names them), from dbt's manifest for dbt nodes, as declared (reads:,
    writes:) for Python and shell nodes. With TABLE, the tree of what it is made from, or
    with --downstream, of what is made from it.

    Example: kitchen lineage stg_orders --downstream
    """
    from kitchen.workflows import lineage as workflow

    state = state_for(ctx, json_mode)
    if upstream and downstream:
        raise BadInput("Choose --upstream or --downstream, not both.")
    if table is None and (upstream or downstream):
        raise BadInput("--upstream and --downstream follow a TABLE: name one.")
    graph = workflow.build(project_for(ctx), kitchen, pipeline)
    for node in graph.nodes:
        if node.problem:
            state.console.warn(f"{node.pipeline}.{node.node}: {node.problem}")
    if table is None:
        if json_mode:
            state.console.json(
                {"kitchen": graph.kitchen.name, "nodes": [n.to_json() for n in graph.nodes]}
            )
        else:
            state.console.show(_nodes(graph))
        return
    named = workflow.known(graph, table)
    tree = graph.downstream(named) if downstream else graph.upstream(named)
    if json_mode:
        direction = "downstream" if downstream else "upstream"
        state.console.json({"kitchen": graph.kitchen.name, direction: tree.to_json()})
    else:
        top = Tree(f"[bold]{escape(named)}[/]")
        _grow(top, tree, "→" if downstream else "←")
        state.console.show(top)


def _nodes(graph: "Graph") -> Tree:
    top = Tree(f"[bold]{escape(graph.kitchen.name)}[/] [dim]({escape(graph.kitchen.schema)})[/]")
    pipelines: dict[str, Tree] = {}
    for node in graph.nodes:
        if node.pipeline not in pipelines:
            pipelines[node.pipeline] = top.add(f"[bold]{escape(node.pipeline)}[/]")
        reads = ", ".join(node.reads) or "-"
        writes = ", ".join(node.writes) or "-"
        how = f"[dim]{node.type}, {node.how}[/]"
        branch = pipelines[node.pipeline].add(
            f"{escape(node.node)} {how}  {escape(reads)} [cyan]→[/] {escape(writes)}"
        )
        for written, columns in node.columns.items():
            for column, sources in columns.items():
                if sources:
                    branch.add(
                        f"[dim]{escape(written)}.{escape(column)} ← {escape(', '.join(sources))}[/]"
                    )
    return top


def _grow(tree: Tree, found: "Reach", arrow: str) -> None:
    for hop in found.nodes or []:  # a table met again on its path has none: a loop
        branch = tree.add(f"[dim]{arrow} {escape(hop.node)}[/]")
        for table in hop.tables:
            _grow(branch.add(f"[bold]{escape(table.table)}[/]"), table, arrow)
