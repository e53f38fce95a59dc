"""Commands that move changes between kitchens: update, merge, promote, rollback, releases."""

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from kitchen.cli.app import (
    CurrentKitchen,
    JsonOption,
    State,
    WaitOption,
    YesOption,
    app,
    confirm,
    named_kitchen,
    project_for,
    state_for,
)
from kitchen.errors import BadInput, ExitCode, KitchenError
from kitchen.text import counted

if TYPE_CHECKING:
    from kitchen.data.diff import TableDiff
    from kitchen.model import Outcome, Release
    from kitchen.workflows.merge import Preview


@app.command("update")
def update_command(
    ctx: typer.Context,
    name: CurrentKitchen = None,
    refresh_data: Annotated[
        bool, typer.Option("--refresh-data", help="Also rebuild its data from the parent.")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--continue", help="Finish an update after resolving conflicts.")
    ] = False,
    abort: Annotated[bool, typer.Option("--abort", help="Give up an update in conflict.")] = False,
    json_mode: JsonOption = False,
) -> None:
    """Merge the parent's branch down into the kitchen's branch (and optionally its data).

    Example: kitchen update profitability --refresh-data
    """
    from kitchen.workflows.update import update

    if resume and abort:
        raise BadInput("Choose --continue or --abort, not both.")
    state = state_for(ctx, json_mode)
    project = project_for(ctx)
    name = named_kitchen(project, name)
    action = "continue" if resume else "abort" if abort else None
    result = update(project, name, refresh_data, action, state.console)
    if json_mode:
        state.console.json(
            {
                "kitchen": name,
                "merged": result.merged,
                "aborted": abort,
                "refreshed": result.refreshed,
            }
        )
    elif abort:
        state.console.success(f"Update of {name} aborted: its branch is as it was.")
    elif result.merged:
        state.console.success(f"{name} is up to date with {result.kitchen.parent}.")
    else:
        state.console.success(f"{name} was already up to date with {result.kitchen.parent}.")


@app.command("merge")
def merge_command(
    ctx: typer.Context,
    name: CurrentKitchen = None,
    into: Annotated[str | None, typer.Option(help="The parent (checked, for scripts).")] = None,
    preview: Annotated[
        bool, typer.Option("--preview", help="Show what would merge; touch nothing.")
    ] = False,
    approved_by: Annotated[
        str | None, typer.Option(help="The approver, for a protected parent.")
    ] = None,
    post_test: Annotated[
        bool, typer.Option("--post-test/--no-post-test", help="Test the parent afterwards.")
    ] = True,
    delete_after: Annotated[
        bool, typer.Option("--delete-after", help="Delete the kitchen once merged.")
    ] = False,
    yes: YesOption = False,
    wait: WaitOption = 60,
    json_mode: JsonOption = False,
) -> None:
    """Merge a tested kitchen into its parent: a --no-ff commit with Kitchen, Tested-Run,
    Tested-Commit and Approved-By trailers, after every gate passed; then the parent's tests.

    Example: kitchen merge profitability --preview
    """
    from kitchen.workflows import merge as workflow

    state = state_for(ctx, json_mode)
    project = project_for(ctx)
    name = named_kitchen(project, name)
    if preview:
        _show_preview(state, workflow.preview(project, name, into))
        return
    confirm(yes, f"Merge {name} into its parent?")
    merged = workflow.merge(
        project,
        name,
        into,
        approved_by=approved_by,
        post_test=post_test,
        report=state.console,
        wait=wait,
        delete_after=delete_after,
    )
    if json_mode:
        state.console.json(merged.to_json())
    elif merged.commit is None:
        state.console.success(f"{name} is merged into {merged.into} already.")
    else:
        state.console.success(f"Merged {name} into {merged.into} ({merged.commit[:10]}).")
    _after_tests(state, merged.post_test, merged.into)


def _show_preview(state: State, seen: "Preview") -> None:
    """What a merge or promotion would bring; exit 3 when it would conflict."""
    if state.console.json_mode:
        state.console.json(seen.to_json())
    else:
        state.console.show(
            f"{counted(len(seen.commits), 'commit')} from {seen.kitchen} into {seen.into}; "
            f"{counted(len(seen.files), 'file')} changed; pipelines touched: "
            f"{', '.join(seen.pipelines) or 'none'}; conflicts: "
            f"{', '.join(seen.conflicts) or 'none'}"
        )
        if seen.downstream:
            downstream = escape(", ".join(seen.downstream))
            state.console.show(f"Tables downstream of the change: {downstream}")
        for found in seen.diffs:
            state.console.show(f"  {escape(_diff_line(found, seen.kitchen, seen.into))}")
        if seen.no_diff:
            state.console.show(f"[dim]{escape(seen.no_diff)}[/]")
    if seen.conflicts:
        raise typer.Exit(int(ExitCode.PRECONDITION))


def _diff_line(found: "TableDiff", mine: str, theirs: str) -> str:
    """``profitability: 52 rows changed (margin 52)``: a table's diff in a line."""
    ours, other = found.rows
    if ours is None or other is None:
        return f"{found.table}: only in {theirs if ours is None else mine}"
    if found.same:
        return f"{found.table}: the same"
    said = [f"{ours:,} rows in {mine}, {other:,} in {theirs}"]
    if found.changed:
        columns = ", ".join(f"{c} {n:,}" for c, n in found.changed_columns.items())
        said.append(f"{found.changed:,} changed ({columns})")
    for label, count in (
        (f"only in {mine}", found.only_kitchen),
        (f"only in {theirs}", found.only_other),
    ):
        if count:
            said.append(f"{count:,} {label}")
    return f"{found.table}: {'; '.join(said)}"


@app.command("promote")
def promote_command(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(metavar="SOURCE", help="The kitchen to promote (e.g. dev).")
    ],
    to: Annotated[str, typer.Option("--to", help="Its parent in the next environment.")],
    release: Annotated[
        str | None, typer.Option("--release", help="The release tag, e.g. v1.4.0.")
    ] = None,
    approved_by: Annotated[
        str | None, typer.Option(help="The approver, for a protected destination.")
    ] = None,
    preview: Annotated[
        bool, typer.Option("--preview", help="Show what the release would bring; touch nothing.")
    ] = False,
    yes: YesOption = False,
    wait: WaitOption = 60,
    json_mode: JsonOption = False,
) -> None:
    """Promote a tested kitchen into the next release environment: the merge's gates, an
    annotated tag, a release record, and the destination's tests with its own credentials.

    Example: kitchen promote dev --to production --release v1.4.0 --approved-by lead@acme.io
    """
    from kitchen.workflows.merge import preview as preview_merge
    from kitchen.workflows.release import promote

    state = state_for(ctx, json_mode)
    if preview:
        _show_preview(state, preview_merge(project_for(ctx), source, to, promotion=True))
        return
    if release is None:
        raise BadInput("Name the release: --release TAG.", hint="For example: --release v1.4.0")
    confirm(yes, f"Promote {source} to {to} as {release}?")
    done = promote(
        project_for(ctx),
        source,
        to,
        release,
        approved_by=approved_by,
        report=state.console,
        wait=wait,
    )
    _show_release(state, done)


@app.command("rollback")
def rollback_command(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The kitchen to roll back (e.g. production).")
    ],
    to: Annotated[str, typer.Option("--to", help="The release tag to go back to.")],
    yes: YesOption = False,
    json_mode: JsonOption = False,
) -> None:
    """Roll a kitchen back to a release: a new commit whose tree is the tag's (no history is
    rewritten), its tests, and a release record of kind rollback.

    Example: kitchen rollback production --to v1.3.0
    """
    from kitchen.workflows.release import rollback

    state = state_for(ctx, json_mode)
    confirm(yes, f"Roll {name} back to {to}?")
    _show_release(state, rollback(project_for(ctx), name, to, state.console))


def _show_release(state: State, release: "Release") -> None:
    tested = release.destination_test
    if state.console.json_mode:
        state.console.json(release.to_json())
    else:
        done = (
            f"Rolled {release.kitchen} back to {release.tag}"
            if release.kind == "rollback"
            else f"Promoted {release.tag} to {release.kitchen}"
        )
        why = f" ({tested.reason})" if tested and tested.reason else ""
        status = tested.status if tested else ""
        outcome = TEST_OUTCOMES.get(status, f"; its tests did not run{why}")
        state.console.success(f"{done} ({release.commit_sha[:10]}){outcome}.")
    _after_tests(state, tested, release.kitchen)


TEST_OUTCOMES = {  # failed or could not run: said by _after_tests, as an error
    "passed": "; its tests passed",
    "failed": "",
    "skipped": "; it has no pipelines to test",
    "error": "",
}


def _after_tests(state: State, tested: "Outcome | None", kitchen: str) -> None:
    """Fail a merge or release whose change landed but whose tests in the kitchen it landed
    in failed (exit 1) or could not run (that error's exit code, said on stderr)."""
    if tested is None:
        return
    if tested.status == "error":
        if not state.console.json_mode:
            message = f"The change landed, but the tests of {kitchen} could not run: "
            state.console.error(KitchenError(message + str(tested.message), tested.hint))
        raise typer.Exit(tested.exit_code or int(ExitCode.INTERNAL))
    if tested.status == "failed":
        if not state.console.json_mode:
            run = tested.run_id
            state.console.error(
                KitchenError(
                    f"The change landed, but the tests of {kitchen} failed (run {run}).",
                    f"The failures are above; their reports: `kitchen artifacts {kitchen} {run}`.",
                )
            )
        raise typer.Exit(int(ExitCode.CHECKS_FAILED))


@app.command("releases")
def releases_command(
    ctx: typer.Context, name: CurrentKitchen = None, json_mode: JsonOption = False
) -> None:
    """List releases and rollbacks, newest first.

    Example: kitchen releases production --json
    """
    from kitchen.cli import listings
    from kitchen.workflows.release import releases

    state = state_for(ctx, json_mode)
    kitchen, found = releases(project_for(ctx), name)
    if json_mode:
        state.console.json({"kitchen": kitchen.name, "releases": [r.to_json() for r in found]})
        return
    state.console.show(listings.releases_table(kitchen.name, found))
