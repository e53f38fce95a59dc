"""Commands on kitchens: init, create, list, show, checkout, delete, demo."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from kitchen.cli.app import (
    CurrentKitchen,
    JsonOption,
    LimitOption,
    SampleOption,
    WaitOption,
    YesOption,
    app,
    project_for,
    state_for,
)
from kitchen.errors import BadInput, ExitCode, KitchenError
from kitchen.names import did_you_mean
from kitchen.text import counted

if TYPE_CHECKING:
    from kitchen.project import Project
    from kitchen.workflows.merge import Preview


def flavoured(args: list[str]) -> list[str]:
    """`kitchen init --demo dbt`: the dbt flavour of the demo (`--demo-flavour`, which the
    command reads); any other word after `--demo` is the folder, as ever (`--demo shop`)."""
    if "init" not in args or "--demo" not in args:
        return args
    at = args.index("--demo") + 1
    if args[at : at + 1] == ["dbt"]:
        return [*args[:at], "--demo-flavour=dbt", *args[at + 1 :]]
    return args


@app.command()
def init(
    ctx: typer.Context,
    directory: Annotated[
        Path | None, typer.Argument(metavar="DIRECTORY", help="Folder to set up (default: .)")
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="Also load the demo shop, with its pipeline (`--demo dbt`: in dbt)."
        ),
    ] = False,
    flavour: Annotated[str, typer.Option("--demo-flavour", hidden=True)] = "shop",
    no_data: Annotated[
        bool,
        typer.Option("--no-data", help="Leave dev empty even where production already has tables."),
    ] = False,
    json_mode: JsonOption = False,
) -> None:
    """Set up a kitchen project: git, kitchen.yaml and the root kitchens production and dev.

    Where production already has tables, dev is filled from them (masked, through the PII
    gate) unless --no-data. Safe to run again: it only adds what is missing. `--demo dbt`
    makes the demo shop's pipeline a dbt project (docs/dbt.md).

    Example: kitchen init --demo my-analytics
    """
    from kitchen.workflows.init import DEMOS
    from kitchen.workflows.init import init as run_init

    state = state_for(ctx, json_mode)
    if flavour not in DEMOS:
        raise BadInput(f"No demo flavour {flavour!r}.", hint=f"One of: {', '.join(DEMOS)}.")
    folder = state.directory / (directory or Path("."))
    report = run_init(folder, flavour if demo else None, state.console, with_data=not no_data)
    if json_mode:
        state.console.json({"root": str(report.root), "changes": report.changes})
    elif report.changes:
        for change in report.changes:
            state.console.success(change)
        state.console.show(f"Kitchen project ready in {report.root}. Next: kitchen create NAME")
    else:
        state.console.success(f"Nothing to do: {report.root} is already initialised.")


@app.command()
def create(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(metavar="NAME", help="Kitchen name: lowercase letters, digits, - and _."),
    ],
    parent: Annotated[
        str | None,
        typer.Option(
            help="Kitchen to branch from (default: the checked-out one unless it is "
            "protected, else dev)."
        ),
    ] = None,
    data: Annotated[bool, typer.Option("--data/--no-data", help="Copy the parent's data.")] = True,
    staff: Annotated[
        str | None, typer.Option(help="Comma-separated emails or globs (default: you).")
    ] = None,
    ttl: Annotated[
        str | None, typer.Option(help="Temporary kitchen: expires after e.g. 7d.")
    ] = None,
    checkout: Annotated[
        bool, typer.Option("--checkout/--no-checkout", help="Check out its branch afterwards.")
    ] = True,
    sample: SampleOption = None,
    ticket: Annotated[
        str | None, typer.Option(metavar="KEY", help="The ticket of the work (SHOP-42).")
    ] = None,
    notify: Annotated[
        list[str] | None,
        typer.Option(
            metavar="TARGET",
            help="Announce its runs here (a target of its environment; repeatable).",
        ),
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """Create a kitchen: a branch from its parent, its own schema, and a copy of the data.

    Example: kitchen create profitability --parent dev --ttl 7d --sample 10% --ticket SHOP-42
    """
    from kitchen.workflows.create import CreateRequest
    from kitchen.workflows.create import create as run_create

    state = state_for(ctx, json_mode)
    people = tuple(_listed(staff))
    request = CreateRequest(
        name, parent, data, people, ttl, checkout, sample, ticket, tuple(notify or ())
    )
    kitchen = run_create(project_for(ctx), request, state.console)
    if json_mode:
        state.console.json(kitchen.to_json())
    else:
        state.console.success(
            f"Kitchen {kitchen.name} is ready, from {kitchen.parent}: branch {kitchen.branch}, "
            f"schema {kitchen.schema}."
        )


@app.command(name="list")
def list_(
    ctx: typer.Context,
    tree: Annotated[
        bool, typer.Option("--tree", help="Show the kitchen tree (whole: not paged).")
    ] = False,
    limit: Annotated[
        int,
        typer.Option("--limit", "-n", min=0, metavar="N", help="Show N kitchens (0: all)."),
    ] = 100,
    after: Annotated[
        str | None,
        typer.Option(
            metavar="NAME", help="Start after this kitchen (the next page; --json: `next`)."
        ),
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """List kitchens by name, a page at a time; * marks the checked-out one.

    Example: kitchen list --after feature-0100 --limit 50
    """
    from kitchen.cli import render
    from kitchen.workflows.inspect import list_kitchens

    state = state_for(ctx, json_mode)
    if tree and after is not None:
        raise BadInput("--tree shows the whole tree: --after pages the list.")
    listing = list_kitchens(project_for(ctx), after, 0 if tree else limit)
    for problem in listing.problems:
        state.console.warn(problem.message)
    if json_mode:
        state.console.json(
            {
                "current": listing.current,
                "kitchens": [kitchen.to_json() for kitchen in listing.kitchens],
                "problems": [problem.message for problem in listing.problems],
                "next": listing.after,
            }
        )
    elif tree:
        state.console.show(render.kitchen_tree(listing))
    else:
        state.console.show(render.kitchen_table(listing))
        if listing.after is not None:
            state.console.show(
                f"[dim]{counted(len(listing.kitchens), 'kitchen')} shown; the next: "
                f"`kitchen list --after {listing.after}`, all: `--limit 0`.[/]"
            )


@app.command()
def show(
    ctx: typer.Context,
    name: CurrentKitchen = None,
    rows: Annotated[
        int | None,
        typer.Option(
            min=0, metavar="N", help="Also show the first N rows of each table (--table: 10)."
        ),
    ] = None,
    table: Annotated[str | None, typer.Option(help="Show rows of this table only.")] = None,
    json_mode: JsonOption = False,
) -> None:
    """Show a kitchen: branch, schema, data (and whether its masking was verified), staff
    and tables.

    Example: kitchen show dev --rows 3 --table customers
    """
    from kitchen.cli import render
    from kitchen.workflows.inspect import show as run_show

    state = state_for(ctx, json_mode)
    project = project_for(ctx)
    name = _named(project, name)
    preview = rows if rows is not None else 10 if table else 0
    details = run_show(project, name, preview=preview, only=table)
    if json_mode:
        state.console.json(render.details_json(details))
    else:
        state.console.show(render.details(details))
        data = details.kitchen.data
        if data is not None and data.source is not None and not data.masked:
            state.console.warn(f"The data in {name} is unmasked: handle it like its source.")


@app.command("staff")
def staff_command(
    ctx: typer.Context,
    name: CurrentKitchen = None,
    add: Annotated[str | None, typer.Option(help="Comma-separated emails or globs to add.")] = None,
    remove: Annotated[
        str | None, typer.Option(help="Comma-separated entries to remove, as listed.")
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """List a kitchen's staff, who may test, merge, refresh and delete it; its staff add and
    remove people. A root kitchen's staff is set in kitchen.yaml.

    Example: kitchen staff profitability --add bob@acme.io --remove carol@acme.io
    """
    from kitchen.workflows.staff import change_staff

    state = state_for(ctx, json_mode)
    change = change_staff(project_for(ctx), name, _listed(add), _listed(remove))
    kitchen = change.kitchen
    if json_mode:
        state.console.json(change.to_json())
        return
    said = [f"added {', '.join(change.added)}"] if change.added else []
    said += [f"removed {', '.join(change.removed)}"] if change.removed else []
    if said:
        state.console.success(f"Staff of {kitchen.name}: {'; '.join(said)}.")
    elif add or remove:
        state.console.success(f"The staff of {kitchen.name} has that already.")
    staff = ", ".join(kitchen.staff) or "anyone (no staff list)"
    state.console.show(escape(f"Staff of {kitchen.name}: {staff}"))


def _listed(value: str | None) -> list[str]:
    return [who for who in (value or "").split(",") if who.strip()]


@app.command()
def checkout(
    ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME", help="Kitchen name.")]
) -> None:
    """Check out a kitchen's branch.

    Example: kitchen checkout profitability
    """
    from kitchen.workflows.inspect import checkout as run_checkout

    state = state_for(ctx)
    kitchen = run_checkout(project_for(ctx), name)
    state.console.success(f"Switched to kitchen {kitchen.name} (branch {kitchen.branch}).")


@app.command()
def delete(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Kitchen name.")],
    yes: YesOption = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Delete even with commits not merged into the parent, or with views "
            "outside it that read its tables (they go too).",
        ),
    ] = False,
    json_mode: JsonOption = False,
) -> None:
    """Delete a kitchen: its schema, its branch and its registry record.

    Also cleans up a kitchen whose create failed half-way.

    Example: kitchen delete profitability --yes
    """
    from kitchen.workflows import delete as workflow

    state = state_for(ctx, json_mode)
    project = project_for(ctx)
    kitchen = workflow.check(project, name, force)
    if not yes:
        if not sys.stdin.isatty():
            raise BadInput(f"Refusing to delete {name!r} without confirmation.", hint="Pass --yes.")
        question = f"Delete kitchen {name} (schema {kitchen.schema}, branch {kitchen.branch})?"
        if not typer.confirm(question):
            raise typer.Exit(int(ExitCode.PRECONDITION))
    workflow.delete(project, kitchen, state.console)
    if json_mode:
        state.console.json({"deleted": kitchen.to_json()})
    else:
        state.console.success(f"Deleted kitchen {name}.")


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
    from kitchen.cli import render
    from kitchen.pipelines import junit as junit_report
    from kitchen.workflows.test import TestRequest, test, to_json

    state = state_for(ctx, json_mode)
    variables = dict(_variable(item) for item in var or [])
    request = TestRequest(name, pipeline, node, variables, parallel, fail_fast, full)
    if no_report:
        request = replace(request, report=False)
    if junit:
        _writable(junit, "the JUnit report")  # before the run, not after it
    run = test(project_for(ctx), request, state.console)
    if junit:
        report = junit_report.render(run.id, run.kitchen.name, run.nodes, run.checks)
        _writable(junit, "the JUnit report", report)
    if json_mode:
        state.console.json(to_json(run))
    else:
        state.console.show(render.test_summary(run))
    if not run.passed:
        raise typer.Exit(int(ExitCode.CHECKS_FAILED))


def _writable(path: Path, what: str, text: str | None = None) -> None:
    """Make the file's folder as pytest's --junitxml does; write ``text`` when given."""
    from kitchen.files import make_folder

    if path.is_dir():
        raise BadInput(f"Cannot write {what} to {path}: it is a folder.", hint="Name a file.")
    make_folder(path.parent, f"the folder of {what}")
    if text is not None:
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"Cannot write {what} to {path}: {exc.strerror or exc}.") from None


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
    name = _named(project, name)
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
    name = _named(project, name)
    if preview:
        _show_preview(state, workflow.preview(project, name, into))
        return
    _confirm(yes, f"Merge {name} into its parent?")
    merged = workflow.merge(
        project,
        name,
        into,
        approved_by=approved_by,
        post_test=post_test,
        report=state.console,
        wait=wait,
    )
    if delete_after and merged.commit:
        from kitchen.workflows import delete

        delete.delete(project, delete.check(project, name, force=False), state.console)
    if json_mode:
        state.console.json(asdict(merged))
    elif merged.commit is None:
        state.console.success(f"{name} is merged into {merged.into} already.")
    else:
        state.console.success(f"Merged {name} into {merged.into} ({merged.commit[:10]}).")
    _after_tests(state, merged.post_test, merged.into)


def _show_preview(state: Any, seen: Preview) -> None:
    """What a merge or promotion would bring; exit 3 when it would conflict."""
    if state.console.json_mode:
        state.console.json(asdict(seen))
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


def _diff_line(found: dict[str, Any], mine: str, theirs: str) -> str:
    """``profitability: 52 rows changed (margin 52)``: a table's diff in a line."""
    rows = found["rows"]
    if rows["kitchen"] is None or rows["other"] is None:
        return f"{found['table']}: only in {theirs if rows['kitchen'] is None else mine}"
    if found["same"]:
        return f"{found['table']}: the same"
    said = [f"{rows['kitchen']:,} rows in {mine}, {rows['other']:,} in {theirs}"]
    if found["changed"]:
        columns = ", ".join(f"{c} {n:,}" for c, n in found["changed_columns"].items())
        said.append(f"{found['changed']:,} changed ({columns})")
    for label, count in (
        (f"only in {mine}", found["only_in_kitchen"]),
        (f"only in {theirs}", found["only_in_other"]),
    ):
        if count:
            said.append(f"{count:,} {label}")
    return f"{found['table']}: {'; '.join(said)}"


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
    _confirm(yes, f"Promote {source} to {to} as {release}?")
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
    _confirm(yes, f"Roll {name} back to {to}?")
    _show_release(state, rollback(project_for(ctx), name, to, state.console))


def _named(project: Project, name: str | None) -> str:
    """The kitchen named, or the one whose branch is checked out."""
    return name if name is not None else project.current_or_named(None).name


def _confirm(yes: bool, question: str) -> None:
    """Ask on a terminal unless --yes; scripts and CI (no terminal) are never asked."""
    if not yes and sys.stdin.isatty() and not typer.confirm(question):
        raise typer.Exit(int(ExitCode.PRECONDITION))


def _show_release(state: Any, release: dict[str, Any]) -> None:
    tested = release["details"].get("destination_test") or {}
    if state.console.json_mode:
        state.console.json(release)
    else:
        done = (
            f"Rolled {release['kitchen']} back to {release['tag']}"
            if release["kind"] == "rollback"
            else f"Promoted {release['tag']} to {release['kitchen']}"
        )
        why = f" ({tested['reason']})" if tested.get("reason") else ""
        outcome = TEST_OUTCOMES.get(tested.get("status", ""), f"; its tests did not run{why}")
        state.console.success(f"{done} ({release['commit_sha'][:10]}){outcome}.")
    _after_tests(state, tested, release["kitchen"])


TEST_OUTCOMES = {  # failed or could not run: said by _after_tests, as an error
    "passed": "; its tests passed",
    "failed": "",
    "skipped": "; it has no pipelines to test",
    "error": "",
}


def _after_tests(state: Any, tested: dict[str, Any] | None, kitchen: str) -> None:
    """Fail a merge or release whose change landed but whose tests in the kitchen it landed
    in failed (exit 1) or could not run (that error's exit code, said on stderr)."""
    tested = tested or {}
    status = tested.get("status")
    if status == "error":
        if not state.console.json_mode:
            message = f"The change landed, but the tests of {kitchen} could not run: "
            state.console.error(KitchenError(message + tested["message"], tested["hint"]))
        raise typer.Exit(tested["exit_code"])
    if status == "failed":
        if not state.console.json_mode:
            run = tested["run_id"]
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
    from kitchen.cli import render

    state = state_for(ctx, json_mode)
    project = project_for(ctx)
    kitchen = project.current_or_named(name)
    found = project.registry(kitchen.environment).releases(kitchen.name)
    if json_mode:
        state.console.json({"kitchen": kitchen.name, "releases": found})
        return
    state.console.show(render.releases_table(kitchen.name, found))


@app.command("gc")
def gc_command(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would go.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Also delete expired kitchens with unmerged commits.")
    ] = False,
    json_mode: JsonOption = False,
) -> None:
    """Delete temporary kitchens past their TTL (create --ttl). Kitchens with commits not
    merged into their parent are kept unless --force; each kept one says why.

    Example: kitchen gc --dry-run
    """
    from kitchen.workflows.gc import collect

    state = state_for(ctx, json_mode)
    result = collect(project_for(ctx), dry_run, force, state.console)
    if json_mode:
        state.console.json(
            {"dry_run": dry_run, "removed": result.removed, "skipped": result.skipped}
        )
        return
    verb = "Would delete" if dry_run else "Deleted"
    removed = result.removed
    kept = f"{counted(len(result.skipped), 'expired kitchen')} kept" if result.skipped else ""
    if removed:
        state.console.success(
            f"{verb} {counted(len(removed), 'expired kitchen')}: {', '.join(removed)}."
        )
    else:
        state.console.success(f"Nothing to delete: {kept}." if kept else "No expired kitchen.")
    for name, why in result.skipped.items():
        state.console.warn(f"Kept {name}: {why}")


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
    from kitchen.cli import render

    state = state_for(ctx, json_mode)
    project = project_for(ctx)
    trail = project.events(name, limit, before)
    events, problems = trail.events, trail.problems
    if len(problems) == len(project.config.environments):
        raise next(iter(problems.values()))  # no trail could be read at all
    for problem in problems.values():
        state.console.warn(problem.message)
    if name is not None and not events:  # a kitchen with nothing recorded yet, or a typo
        kitchens, _ = project.kitchens()
        known = {k.name for k in kitchens}
        for environment in project.config.environments:
            with contextlib.suppress(KitchenError):
                known |= project.registry(environment).event_kitchens()
        if name not in known:
            raise BadInput(
                f"No kitchen {name!r}, nor events of one.{did_you_mean(name, known)}",
                hint="`kitchen log` lists every kitchen's events.",
            )
    if json_mode:
        unread = [p.message for p in problems.values()]
        state.console.json(
            {"events": events, "total": trail.total, "problems": unread, "next": trail.before}
        )
    else:
        state.console.show(render.events_table(events, name))
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
    from kitchen.cli import render
    from kitchen.workflows.inspect import runs

    state = state_for(ctx, json_mode)
    page = runs(project_for(ctx), name, limit, before)
    if json_mode:
        state.console.json(
            {
                "kitchen": page.kitchen.name,
                "runs": page.runs,
                "total": page.total,
                "next": page.before,
            }
        )
    else:
        state.console.show(render.runs_table(page.kitchen.name, page.runs))
        _more(state, len(page.runs), page.total, "run", page.before)


def _more(state: Any, shown: int, found: int, noun: str, before: str | None) -> None:
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
        runs = [run["id"] for run in project.registry(kitchen.environment).runs(kitchen.name)]
        if run_id not in runs:
            raise BadInput(
                f"No run {run_id!r} of {kitchen.name}.{did_you_mean(run_id, runs)}",
                hint=f"`kitchen runs {kitchen.name}` lists them.",
            )
    if download is not None:
        if run_id is None:
            raise BadInput("Name the run to download.", hint="See `kitchen runs`.")
        written = artifacts.download(project, kitchen, run_id, download)
        if not written:
            raise BadInput(
                f"No artifacts of run {run_id} of {kitchen.name} in the store.",
                hint="If its upload waited for an unreachable store: `kitchen artifacts --retry`.",
            )
        state.console.success(f"Downloaded {counted(len(written), 'file')} into {download}.")
        return
    keys = artifacts.listing(project, kitchen, run_id)
    if json_mode:
        state.console.json({"kitchen": kitchen.name, "artifacts": keys})
    else:
        state.console.show("\n".join(keys) or f"No artifacts for {kitchen.name}.")


def _variable(item: str) -> tuple[str, str]:
    key, equals, value = item.partition("=")
    if not equals or not key:
        raise BadInput(f"--var {item!r} is not KEY=VALUE.", hint="For example: --var min_orders=5")
    return key, value


@app.command()
def demo(
    ctx: typer.Context,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the demo folder afterwards.")] = False,
) -> None:
    """Run the whole kitchen story in a temporary folder, on the embedded default.

    Example: kitchen demo --keep
    """
    from kitchen.cli.demo import run_demo
    from kitchen.cli.main import main

    state = state_for(ctx)
    code = run_demo(state.console, main, keep=keep)
    if code:
        raise typer.Exit(code)
