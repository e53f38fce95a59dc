"""Commands on pipelines' runs: test, runs, log (the audit trail), artifacts."""

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from kitchen import files
from kitchen.cli.app import (
    CurrentKitchen,
    JsonOption,
    LimitOption,
    State,
    app,
    project_for,
    state_for,
)
from kitchen.errors import BadInput, ExitCode
from kitchen.text import counted


@app.command("test")
def test_pipelines(
    ctx: typer.Context,
    name: CurrentKitchen = None,
    pipeline: Annotated[str | None, typer.Option(help="Only this pipeline.")] = None,
    node: Annotated[str | None, typer.Option(help="Only this node.")] = None,
    var: Annotated[
        list[str] | None,
        typer.Option(metavar="KEY=VALUE", help="A template variable (repeatable)."),
    ] = None,
    parallel: Annotated[
        int, typer.Option(min=1, metavar="N", help="Nodes run at once (PostgreSQL).")
    ] = 4,
    fail_fast: Annotated[bool, typer.Option(help="Stop after the first failure.")] = False,
    full: Annotated[
        bool, typer.Option(help="dbt nodes build everything, not only what changed.")
    ] = False,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML to this file.")] = None,
    no_report: Annotated[
        bool,
        typer.Option(
            "--no-report", help="Keep no HTML report with the run (as KITCHEN_REPORT=0 does)."
        ),
    ] = False,
    json_mode: JsonOption = False,
) -> None:
    """Run a kitchen's pipelines in dependency order, then their checks. Exit 0 when every
    node succeeds and every error-severity check passes, 1 otherwise. A dbt node builds
    what changed since the build the kitchen's tables hold (docs/dbt.md), unless --full.
    The run's artifacts keep its HTML report (`kitchen report` opens it).

    Example: kitchen test profitability --pipeline shop --junit report.xml
    """
    from kitchen.cli import listings
    from kitchen.pipelines import junit as junit_report
    from kitchen.workflows.test import TestRequest, test, to_json

    state = state_for(ctx, json_mode)
    variables = dict(_variable(item) for item in var or [])
    request = TestRequest(name, pipeline, node, variables, parallel, fail_fast, full)
    if no_report:
        request = replace(request, report=False)
    if junit:
        files.writable(junit, "the JUnit report")  # before the run, not after it
    run = test(project_for(ctx), request, state.console)
    if junit:
        report = junit_report.render(run.id, run.kitchen.name, run.nodes, run.checks)
        files.write_text(junit, report, "the JUnit report")
    if json_mode:
        state.console.json(to_json(run))
    else:
        state.console.show(listings.test_summary(run))
    if not run.passed:
        raise typer.Exit(int(ExitCode.CHECKS_FAILED))


def _variable(item: str) -> tuple[str, str]:
    key, equals, value = item.partition("=")
    if not equals or not key:
        raise BadInput(f"--var {item!r} is not KEY=VALUE.", hint="For example: --var min_orders=5")
    return key, value


BeforeOption = Annotated[
    str | None,
    typer.Option(
        metavar="TIME", help="Only those older than this (the next page; --json: `next`)."
    ),
]


@app.command("log")
def log_command(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(metavar="NAME", help="Only this kitchen's events.")
    ] = None,
    limit: LimitOption = 20,
    before: BeforeOption = None,
    json_mode: JsonOption = False,
) -> None:
    """The audit trail: who created, refreshed or deleted what, when, and with what result.

    Example: kitchen log profitability --limit 50
    """
    from kitchen.cli import listings
    from kitchen.workflows.inspect import audit_trail

    state = state_for(ctx, json_mode)
    trail = audit_trail(project_for(ctx), name, limit, before)
    events, problems = trail.events, trail.problems
    for problem in problems.values():
        state.console.warn(problem.message)
    if json_mode:
        unread = [p.message for p in problems.values()]
        state.console.json(
            {
                "events": [event.to_json() for event in events],
                "total": trail.total,
                "problems": unread,
                "next": trail.before,
            }
        )
    else:
        state.console.show(listings.events_table(events, name))
        _more(state, len(events), trail.total, "event", trail.before)


@app.command("runs")
def runs_list(
    ctx: typer.Context,
    name: CurrentKitchen = None,
    limit: LimitOption = 20,
    before: BeforeOption = None,
    json_mode: JsonOption = False,
) -> None:
    """List a kitchen's recorded test runs, newest first.

    Example: kitchen runs profitability --limit 5
    """
    from kitchen.cli import listings
    from kitchen.workflows.inspect import runs

    state = state_for(ctx, json_mode)
    page = runs(project_for(ctx), name, limit, before)
    if json_mode:
        state.console.json(
            {
                "kitchen": page.kitchen.name,
                "runs": [run.to_json() for run in page.runs],
                "total": page.total,
                "next": page.before,
            }
        )
    else:
        state.console.show(listings.runs_table(page.kitchen.name, page.runs))
        _more(state, len(page.runs), page.total, "run", page.before)


def _more(state: State, shown: int, found: int, noun: str, before: str | None) -> None:
    if before is not None:
        state.console.show(
            f"[dim]{shown} of {counted(found, noun)} shown; older: `--before {before}`, "
            "all: `--limit 0`.[/]"
        )


@app.command("artifacts")
def artifacts_command(
    ctx: typer.Context,
    name: CurrentKitchen = None,
    run_id: Annotated[str | None, typer.Argument(metavar="RUN", help="One run's id.")] = None,
    download: Annotated[
        Path | None, typer.Option(help="Download the run's artifacts into this folder.")
    ] = None,
    retry: Annotated[
        bool,
        typer.Option(
            "--retry", help="Upload artifacts and send notifications that earlier runs could not."
        ),
    ] = False,
    json_mode: JsonOption = False,
) -> None:
    """List a kitchen's run artifacts (reports, JUnit, node logs), download a run's, or
    upload those that waited for an unreachable store.

    Example: kitchen artifacts profitability 3f2a9c1b7d4e --download ./run
    """
    from kitchen.workflows import artifacts

    state = state_for(ctx, json_mode)
    project = project_for(ctx)
    if retry:
        from kitchen.workflows import notify

        uploaded, sent = artifacts.retry(project), notify.retry(project)
        if json_mode:
            state.console.json({"uploaded": uploaded, "notified": sent})
        else:
            total = sum(uploaded.values())
            state.console.success(
                f"Uploaded {counted(total, 'waiting artifact')}, "
                f"sent {counted(sent, 'waiting notification')}."
            )
        return
    kitchen = project.current_or_named(name)
    if run_id is not None:
        artifacts.require_run(project, kitchen, run_id)
    if download is not None:
        if run_id is None:
            raise BadInput("Name the run to download.", hint="See `kitchen runs`.")
        written = artifacts.download(project, kitchen, run_id, download)
        state.console.success(f"Downloaded {counted(len(written), 'file')} into {download}.")
        return
    keys = artifacts.listing(project, kitchen, run_id)
    if json_mode:
        state.console.json({"kitchen": kitchen.name, "artifacts": keys})
    else:
        state.console.show("\n".join(keys) or f"No artifacts for {kitchen.name}.")
