"""`kitchen metrics`: runs and checks as OpenMetrics text, for a scraper."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from kitchen import redaction
from kitchen.cli.app import app, project_for, state_for
from kitchen.files import write_text


@app.command("metrics")
def metrics_command(
    ctx: typer.Context,
    environments: Annotated[
        list[str] | None,
        typer.Option("--env", metavar="ENV", help="Only this environment (repeat for more)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Write to FILE (replaced whole) instead of stdout."),
    ] = None,
) -> None:
    """Each kitchen's latest run (start, duration, passed), its pass ratio over its latest 50
    runs, and every check's latest value and result, as OpenMetrics text: for Prometheus
    (a textfile, or a scrape of a small server that runs this), Datadog or Grafana Agent.
    An environment whose registry cannot be read is kitchen_registry_up 0, not an error.

    Example: kitchen metrics --env dev --out /var/lib/node_exporter/kitchen.prom
    """
    from kitchen.workflows.metrics import exposition

    state_for(ctx, False)
    project = project_for(ctx)
    project.require_environments(environments or [])
    text = redaction.scrub(exposition(project, environments))
    if out is None:
        sys.stdout.write(text)
        return
    write_text(out, text, "the metrics")  # replaced whole: a scraper never reads half
