"""`kitchen report` and `kitchen dashboard`: a run, and the project, as pages to look at."""

from pathlib import Path
from typing import Annotated

import typer

from kitchen.cli.app import CurrentKitchen, JsonOption, app, project_for, state_for
from kitchen.cli.console import Console
from kitchen.errors import BadInput

OpenOption = Annotated[bool, typer.Option("--open", help="Open it in the web browser.")]


@app.command("report")
def report_command(
    ctx: typer.Context,
    name: CurrentKitchen = None,
    run_id: Annotated[
        str | None, typer.Argument(metavar="RUN", help="Run id or its prefix (default: latest).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Write it here (default: .kitchen/reports/)."),
    ] = None,
    open_it: OpenOption = False,
    json_mode: JsonOption = False,
) -> None:
    """Write a run's report: one HTML file that opens with no network, with the pipelines'
    DAG (each node's status and duration), every check, SPC control charts, row-count and
    freshness trends, the dbt models and tests, and the data diff of a merge preview. It is
    drawn from the registry and kept with the run's artifacts as report.html.

    Example: kitchen report profitability --open
    """
    from kitchen.workflows import report

    state = state_for(ctx, json_mode)
    project = project_for(ctx)
    written, kept = report.write(project, name, run_id, out)
    if json_mode:
        state.console.json({"report": str(written), "kept_with_artifacts": kept})
    else:
        state.console.success(f"Report written to {written}")
        if not kept:
            state.console.warn("The artifact store would not take it: it is only here.")
    if open_it:
        _open(written.resolve().as_uri())


def _open(url: str) -> None:
    import webbrowser

    webbrowser.open(url)


@app.command("dashboard")
def dashboard_command(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR", help="The site's folder, replaced whole (default: .kitchen/dashboard)."
        ),
    ] = None,
    serve: Annotated[
        bool, typer.Option("--serve", help="Then serve it on localhost until Ctrl-C.")
    ] = False,
    port: Annotated[
        int, typer.Option(min=0, max=65535, metavar="P", help="The port --serve listens on.")
    ] = 8000,
    open_it: OpenOption = False,
    json_mode: JsonOption = False,
) -> None:
    """Build the project's dashboard, a static site: the kitchen tree with each kitchen's
    latest run, pass rate and duration; pass rates and durations per pipeline; every SPC
    check's control chart; releases and rollbacks on a timeline; the audit trail; enabled
    schedules and their next runs; and the run reports they link to. It reads every
    environment's registry you may read and names those it could not.

    Example: kitchen dashboard --out site --serve --port 8040
    """
    from kitchen.workflows import dashboard

    state = state_for(ctx, json_mode)
    project = project_for(ctx)
    folder = out or project.local / ".kitchen" / "dashboard"
    index = dashboard.build(project, folder, state.console)
    if json_mode:
        state.console.json({"dashboard": str(index)})
    else:
        state.console.success(f"Dashboard written to {index}")
    if serve:
        _serve(state.console, folder, port, open_it)
    elif open_it:
        _open(index.resolve().as_uri())


def _serve(console: Console, folder: Path, port: int, open_it: bool) -> None:
    """Serve ``folder`` on 127.0.0.1 until interrupted."""
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise BadInput(
            f"Cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}.",
            hint="Choose another port with --port.",
        ) from None
    url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
    console.show(f"Serving {url} (Ctrl-C stops)")
    if open_it:
        _open(url)
    with server:
        server.serve_forever()
