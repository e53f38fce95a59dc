"""create / list / show / checkout / delete on real git and real DuckDB files."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kitchen.errors import KitchenError
from kitchen.model import Kitchen, Status
from kitchen.project import Project
from tests.conftest import USER, Cli, snapshot
from tests.gitrepo import commit as commit_file
from tests.gitrepo import git

KITCHEN_FIELDS = {
    "name",
    "parent",
    "environment",
    "branch",
    "schema",
    "status",
    "protected",
    "staff",
    "created_by",
    "created_at",
    "expires_at",
}


def commit(repo: Path, name: str) -> None:
    (repo / name).write_text("select 1\n")
    git(repo, "add", name)
    git(repo, "commit", "-m", f"add {name}")


def test_create_makes_branch_schema_data_and_record(cli: Cli, shop: Path) -> None:
    result = cli("create", "sftp-refactor", "--json")
    assert result.code == 0, result.err
    kitchen = result.json()
    assert kitchen.keys() >= KITCHEN_FIELDS
    expected = {
        "name": "sftp-refactor",
        "parent": "dev",
        "environment": "dev",
        "branch": "kitchen/sftp-refactor",
        "schema": "sftp_refactor",
        "status": "ready",
        "protected": False,
        "staff": [USER],
        "created_by": USER,
        "expires_at": None,
    }
    assert {key: kitchen[key] for key in expected} == expected
    assert datetime.fromisoformat(kitchen["created_at"]) <= datetime.now(UTC)
    assert git(shop, "rev-parse", "kitchen/sftp-refactor") == git(shop, "rev-parse", "develop")
    assert git(shop, "branch", "--show-current") == "kitchen/sftp-refactor"
    tables = {t["name"]: t["rows"] for t in cli("show", "sftp-refactor", "--json").json()["tables"]}
    assert tables == {"customers": 1000, "orders": 4000, "products": 40}
    assert ("sftp_refactor",) in snapshot(shop)["dev"]["schemas"]


def test_default_parent_is_the_checked_out_kitchen(cli: Cli, shop: Path) -> None:
    assert cli("create", "first").code == 0
    result = cli("create", "second", "--no-checkout", "--no-data", "--json")
    assert result.json()["parent"] == "first"
    assert git(shop, "branch", "--show-current") == "kitchen/first"
    assert cli("show", "second", "--json").json()["tables"] == []


def test_default_parent_is_dev_when_no_kitchen_is_checked_out(cli: Cli, shop: Path) -> None:
    git(shop, "checkout", "-q", "-b", "scratch")
    assert cli("create", "feature", "--json").json()["parent"] == "dev"


def test_a_protected_kitchen_is_a_parent_only_when_named(cli: Cli, shop: Path) -> None:
    """A fresh clone is on main, production's branch: a plain create branches from dev, and
    a hotfix kitchen under production is asked for by name."""
    git(shop, "checkout", "-q", "main")
    result = cli("create", "feature", "--no-checkout")
    assert result.code == 0, result.err
    assert "Kitchen feature is ready, from dev:" in result.out
    assert cli("show", "feature", "--json").json()["environment"] == "dev"
    assert cli("create", "hotfix", "--parent", "production", "--json").json()["parent"] == (
        "production"
    )


def test_ttl_and_staff(cli: Cli) -> None:
    result = cli("create", "short-lived", "--ttl", "2d", "--staff", "a@x.io, *@acme.io", "--json")
    kitchen = result.json()
    assert kitchen["staff"] == ["a@x.io", "*@acme.io"]
    expires = datetime.fromisoformat(kitchen["expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=2))) < timedelta(minutes=1)


@pytest.mark.parametrize(("option", "value"), [("--ttl", "7"), ("--ttl", "-1d"), ("--staff", "x")])
def test_bad_options_are_exit_2_and_create_nothing(
    cli: Cli, shop: Path, option: str, value: str
) -> None:
    before = snapshot(shop)
    result = cli("create", "short-lived", option, value)
    assert result.code == 2 and "Traceback" not in result.err
    assert snapshot(shop) == before


def test_create_existing_name_is_a_conflict(cli: Cli) -> None:
    assert cli("create", "twice").code == 0
    result = cli("create", "twice")
    assert result.code == 3 and "already exists" in result.err


def as_listed_while_it_was_being_made(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Every listing and lookup shows ``name`` as provisioning: read, as in a race, just
    before the create that was making it finished."""
    listing, lookup = Project.kitchens, Project.kitchen

    def earlier(kitchen: Kitchen) -> Kitchen:
        if kitchen.name != name:
            return kitchen
        return dataclasses.replace(kitchen, status=Status.PROVISIONING, data=None)

    def kitchens(self: Project) -> tuple[list[Kitchen], dict[str, KitchenError]]:
        found, problems = listing(self)
        return [earlier(kitchen) for kitchen in found], problems

    monkeypatch.setattr(Project, "kitchens", kitchens)
    monkeypatch.setattr(Project, "kitchen", lambda self, wanted: earlier(lookup(self, wanted)))


def test_a_create_that_finished_since_the_listing_is_a_kitchen_that_exists(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("create", "twin", "--no-checkout").code == 0
    as_listed_while_it_was_being_made(monkeypatch, "twin")
    result = cli("create", "twin")
    assert (result.code, result.err) == (
        3,
        "error: Kitchen 'twin' already exists.\nhint: Use `kitchen checkout twin`.\n",
    )


def test_a_kitchen_whose_create_finished_since_it_was_read_is_worked_on(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("create", "twin", "--no-checkout").code == 0
    as_listed_while_it_was_being_made(monkeypatch, "twin")
    refreshed = cli("data", "refresh", "twin", "--sample", "10%")
    assert refreshed.code == 0, refreshed.err
    assert cli("checkout", "twin").code == 0


def test_create_refuses_a_branch_or_schema_no_kitchen_owns(cli: Cli, shop: Path) -> None:
    git(shop, "branch", "kitchen/taken")
    assert cli("create", "taken").code == 3
    import duckdb

    connection = duckdb.connect(str(shop / ".kitchen/warehouse/dev_warehouse.duckdb"))
    connection.execute("CREATE SCHEMA occupied")
    connection.close()
    before = snapshot(shop)
    result = cli("create", "occupied")
    assert result.code == 3 and "belongs to no kitchen" in result.err
    assert snapshot(shop) == before


def test_unknown_or_unready_parent(cli: Cli) -> None:
    assert cli("create", "x", "--parent", "nope").code == 2
    typo = cli("create", "x", "--parent", "dve")
    assert typo.code == 2 and "Did you mean 'dev'?" in typo.err
    assert "Pass --parent with one of dev, production." in typo.err


def test_non_staff_of_the_parent_is_not_allowed(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("create", "mine", "--staff", USER).code == 0
    monkeypatch.setenv("KITCHEN_USER", "intruder@elsewhere.io")
    result = cli("create", "child", "--parent", "mine")
    assert result.code == 4 and "not staff" in result.err
    assert cli("delete", "mine", "--yes").code == 4


def test_non_staff_cannot_test_a_kitchen_and_change_nothing(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SQL nodes ran and wrote into the kitchen before a Python node refused."""
    assert cli("create", "mine", "--staff", USER).code == 0
    before = snapshot(shop)
    monkeypatch.setenv("KITCHEN_USER", "intruder@elsewhere.io")
    result = cli("test", "mine")
    assert result.code == 4, result.err
    assert "is not staff of kitchen 'mine' and cannot run its pipelines" in result.err
    assert snapshot(shop) == before


INTRUDER = "intruder@elsewhere.io"
MINE = f"{INTRUDER} is not staff of kitchen 'mine'"
# Each command that changes a kitchen, run by someone not on its staff, or with an approval
# that is no approver's: refused before it touches git, a warehouse, a store or the registry.
REFUSALS = [
    (INTRUDER, ("create", "child", "--parent", "mine"), MINE),
    (INTRUDER, ("delete", "mine", "--yes"), MINE),
    (INTRUDER, ("test", "mine"), MINE),
    (INTRUDER, ("update", "mine"), MINE),
    (INTRUDER, ("data", "refresh", "mine"), MINE),
    (INTRUDER, ("staff", "mine", "--add", INTRUDER), MINE),
    (INTRUDER, ("secrets", "set", "mine", "api#token"), MINE),
    (INTRUDER, ("run", "mine", "--", "git", "status"), MINE),
    (INTRUDER, ("merge", "mine", "--yes"), f"{INTRUDER} is not staff of kitchen 'dev'"),
    (
        INTRUDER,
        ("promote", "dev", "--to", "production", "--release", "v2.0.0", "--yes"),
        f"{INTRUDER} is not staff of kitchen 'production'",
    ),
    (
        USER,
        (
            "promote",
            "dev",
            "--to",
            "production",
            "--release",
            "v2.0.0",
            "--yes",
            "--approved-by",
            INTRUDER,
        ),
        f"{INTRUDER} is not an approver of production",
    ),
    (
        INTRUDER,
        ("rollback", "production", "--to", "v1.0.0", "--yes"),
        f"{INTRUDER} is not staff of kitchen 'production'",
    ),
]


def test_every_command_refuses_a_caller_it_does_not_admit_and_changes_nothing(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Merge and promote recorded an operation and took the parent's lock (and resumed
    another's crashed one) before they asked whether the caller was staff."""
    staffed = f"    staff: [{USER}]\n"
    text = (shop / "kitchen.yaml").read_text()
    text = text.replace("    branch: develop\n", "    branch: develop\n" + staffed)
    text = text.replace("    branch: main\n", "    branch: main\n" + staffed)
    (shop / "kitchen.yaml").write_text(text)
    git(shop, "commit", "-qam", "staff the root kitchens")
    git(shop, "tag", "v1.0.0")
    assert cli("create", "mine").code == 0
    commit_file(shop, "notes.md", "work in progress\n")
    assert cli("test", "mine").code == 0  # mergeable but for the caller
    before = snapshot(shop, trail=True)
    for user, args, said in REFUSALS:
        monkeypatch.setenv("KITCHEN_USER", user)
        refused = cli(*args)
        assert (refused.code, said in refused.err) == (4, True), (args, refused.err)
        assert snapshot(shop, trail=True) == before, args


def test_staff_add_a_colleague_who_can_then_act_and_log_it(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refusal said "ask one of X to add you to its staff", and nothing could."""
    assert cli("create", "mine", "--no-checkout").code == 0
    colleague = "bob@acme.example"
    monkeypatch.setenv("KITCHEN_USER", colleague)
    refused = cli("create", "child", "--parent", "mine")
    assert refused.code == 4 and f"`kitchen staff mine --add {colleague}`" in refused.err
    assert cli("staff", "mine", "--add", colleague).code == 4  # only staff change staff
    monkeypatch.delenv("KITCHEN_USER")
    added = cli("staff", "mine", "--add", f"{colleague}, {colleague}")
    assert added.code == 0 and f"Staff of mine: added {colleague}." in added.out
    assert cli("staff", "mine", "--json").json()["staff"] == [USER, colleague]
    event = cli("log", "mine", "--json").json()["events"][0]
    assert (event["action"], event["details"]) == ("staff", {"added": [colleague]})
    monkeypatch.setenv("KITCHEN_USER", colleague)
    assert cli("create", "child", "--parent", "mine", "--no-checkout").code == 0
    removed = cli("staff", "mine", "--remove", USER, "--json")
    assert removed.code == 0 and removed.json()["staff"] == [colleague]
    assert cli("show", "mine", "--json").json()["staff"] == [colleague]


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (("mine", "--remove", "nobody@acme.example"), 2, "not on the staff of mine"),
        (("mine", "--remove", USER), 3, "without staff, which admits anyone"),
        (("mine", "--add", "not an email"), 2, "is not an email address or pattern"),
        (("dev", "--add", "x@acme.example"), 3, "kitchens.dev.staff"),
        (("nope",), 2, "No kitchen named 'nope'"),
    ],
)
def test_staff_refusals(cli: Cli, args: tuple[str, ...], code: int, said: str) -> None:
    assert cli("create", "mine", "--no-checkout").code == 0
    result = cli("staff", *args)
    assert (result.code, said in result.err) == (code, True), result.err
    assert cli("staff", "mine", "--json").json()["staff"] == [USER]


def test_list_table_tree_and_json(cli: Cli) -> None:
    assert cli("create", "profitability").code == 0
    listing = cli("list", "--json").json()
    assert listing["current"] == "profitability"
    assert [k["name"] for k in listing["kitchens"]] == ["dev", "production", "profitability"]
    assert all(k.keys() >= KITCHEN_FIELDS for k in listing["kitchens"])
    tree = cli("list", "--tree").out
    lines = tree.splitlines()
    production = next(i for i, line in enumerate(lines) if "production" in line)
    dev = next(i for i, line in enumerate(lines) if " dev " in line)
    mine = next(i for i, line in enumerate(lines) if "profitability" in line)
    assert production < dev < mine
    assert lines[mine].index("profitability") > lines[dev].index("dev")  # nested deeper
    assert "* profitability" in tree
    assert "profitability" in cli("list").out


def test_list_pages_by_name_and_no_kitchen_is_listed_twice_or_skipped(cli: Cli) -> None:
    """Kitchens made and deleted between two pages move no other across the cursor."""
    for name in ("b", "d", "f", "h"):
        assert cli("create", name, "--no-data", "--no-checkout").code == 0
    assert cli("create", "mine", "--no-data").code == 0  # checked out, on no page but one
    seen: list[str] = []
    pages = []
    after: list[str] = []
    while True:
        page = cli("list", "--limit", "2", "--json", *after).json()
        pages.append([k["name"] for k in page["kitchens"]])
        assert page["current"] == "mine"  # wherever it is listed
        seen += pages[-1]
        if len(pages) == 1:  # between pages: one made before the cursor, one after, one gone
            for name in ("a", "g"):
                assert cli("create", name, "--no-data", "--no-checkout").code == 0
            assert cli("delete", "f", "--yes").code == 0
        if page["next"] is None:
            break
        assert page["next"] == pages[-1][-1]
        after = ["--after", page["next"]]
    assert pages[0] == ["b", "d"]
    assert seen == sorted(set(seen))  # in order, none twice
    assert set(seen) >= {"b", "d", "dev", "h", "mine", "production"}  # none there all along skipped
    assert "g" in seen and "a" not in seen and "f" not in seen  # made after / before the cursor
    everything = cli("list", "--limit", "0", "--json").json()
    assert [k["name"] for k in everything["kitchens"]] == sorted(
        ["a", "b", "d", "dev", "g", "h", "mine", "production"]
    ) and everything["next"] is None


def test_list_says_how_to_see_the_next_page_and_the_tree_is_whole(cli: Cli) -> None:
    assert cli("create", "zz", "--no-data", "--no-checkout").code == 0
    out = cli("list", "-n", "2").out
    assert "* dev" in out and "production" in out and " zz " not in out
    assert "2 kitchens shown; the next: `kitchen list --after production`" in out
    assert " zz " in cli("list", "--after", "production").out
    assert "zz" in cli("list", "--tree", "-n", "1").out  # the tree is never cut
    refused = cli("list", "--tree", "--after", "dev")
    assert refused.code == 2 and "--tree shows the whole tree" in refused.err


def test_list_fits_80_columns_with_protection_and_expiry_as_notes(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, ttl in (
        ("short-lived", "2d"),
        ("long-lived", "10d"),
        ("brief", "30m"),
        ("now", "1m"),
    ):
        assert cli("create", name, "--ttl", ttl, "--no-data", "--no-checkout").code == 0
    monkeypatch.setenv("COLUMNS", "80")
    out = cli("list").out
    lines = {line.strip("* ").split()[0]: line.rstrip() for line in out.splitlines()[2:]}
    assert all(len(line) <= 80 for line in out.splitlines())  # branches may give way, but
    assert lines.keys() >= {"dev", "production", "short-lived", "long-lived", "brief"}  # names
    assert lines["production"].endswith("protected")
    assert lines["short-lived"].endswith("expires in 47h")  # 2 days less the seconds gone
    assert lines["long-lived"].endswith("expires in 9d")
    assert lines["brief"].endswith("expires in 29m")
    assert lines["now"].endswith("expires in <1m")  # not "expired" while gc would keep it
    assert lines["dev"].split()[-1] == "ready"  # no notes


def test_show_keeps_every_time_whole_at_80_columns(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The data line's time broke in two: '2026-11-21' at the end of a line, '18:06:56' on
    the next, as did the creation time ahead of a long email address."""
    monkeypatch.setenv("KITCHEN_USER", "maintainers@users.noreply.example-company.example")
    assert cli("create", "timely", "--ttl", "7d", "--no-checkout").code == 0
    monkeypatch.setenv("COLUMNS", "80")
    for name, times in (
        ("timely", ["copied", "created", "expires"]),
        ("dev", ["copied", "verified", "created"]),
    ):
        out = cli("show", name).out
        assert re.findall(r"(\w+) +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", out) == times, out


def test_json_output_is_only_json(cli: Cli) -> None:
    for args in (("list", "--json"), ("show", "dev", "--json"), ("create", "j", "--json")):
        result = cli(*args)
        assert result.code == 0
        result.json()  # the whole of stdout parses


def test_errors_in_json_mode_are_json_on_stdout(cli: Cli) -> None:
    result = cli("show", "nope", "--json")
    assert result.code == 2
    assert result.json()["error"]["exit_code"] == 2
    assert "No kitchen named 'nope'." in result.err


def test_a_mistyped_kitchen_name_gets_a_suggestion(cli: Cli) -> None:
    assert cli("create", "feature").code == 0
    assert "No kitchen named 'featur'. Did you mean 'feature'?" in cli("show", "featur").err
    assert "No kitchen named 'prod'. Did you mean 'production'?" in cli("show", "prod").err


def test_show_reports_commits_ahead(cli: Cli, shop: Path) -> None:
    assert cli("create", "work").code == 0
    commit(shop, "a.sql")
    shown = cli("show", "work", "--json").json()
    assert (shown["commits_ahead"], shown["commits_behind"], shown["checked_out"]) == (1, 0, True)
    assert "1 ahead, 0 behind" in cli("show", "work").out


def test_show_table_previews_its_rows_and_refuses_an_unknown_table(cli: Cli, shop: Path) -> None:
    shown = cli("show", "dev", "--table", "products", "--json")
    assert shown.code == 0, shown.err
    preview = shown.json()["preview"]
    assert list(preview) == ["products"] and len(preview["products"]["rows"]) == 10  # default
    assert "product_id" in preview["products"]["columns"]
    assert cli("show", "dev", "--json").json()["preview"] == {}
    unknown = cli("show", "dev", "--table", "prodcuts")
    assert unknown.code == 2
    assert "Kitchen 'dev' has no table 'prodcuts'" in unknown.err and "products" in unknown.err
    assert cli("show", "dev", "--rows", "-1").code == 2


def test_rows_too_wide_for_the_terminal_are_shown_a_column_a_line(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 80 columns the demo's customers came out as 'custome r_id', 'Frankl in' and
    '00:00:0 0': every header and value broken over lines. They now read as psql's expanded
    display does; where the rows fit, they stay side by side."""
    monkeypatch.setenv("COLUMNS", "80")
    narrow = cli("show", "dev", "--table", "customers", "--rows", "2").out
    preview = cli("show", "dev", "--table", "customers", "--json").json()["preview"]
    columns, rows = preview["customers"]["columns"], preview["customers"]["rows"]
    emails = [row[columns.index("email")] for row in rows[:2]]
    records = re.findall(r"^row (\d) ─+$", narrow, re.MULTILINE)
    assert records == ["1", "2"], narrow
    for email in emails:
        assert re.search(rf"^email +{re.escape(email)} *$", narrow, re.MULTILINE), narrow
    monkeypatch.setenv("COLUMNS", "250")
    wide = cli("show", "dev", "--table", "customers", "--rows", "2").out
    assert "┃ customer_id ┃ full_name" in wide and "row 1 ─" not in wide


def test_warehouse_names_are_shown_as_they_are_not_as_markup(cli: Cli, shop: Path) -> None:
    import duckdb

    with duckdb.connect(str(shop / ".kitchen/warehouse/dev_warehouse.duckdb")) as connection:
        connection.execute('CREATE TABLE dev."[/x]" ("[b]mail" TEXT)')
        connection.execute("""INSERT INTO dev."[/x]" VALUES ('ann@corp.example')""")
    shown = cli("show", "dev", "--table", "[/x]")
    assert shown.code == 0, shown.err
    assert "[/x] (first row)" in shown.out and "[b]mail" in shown.out
    scanned = cli("data", "scan", "dev")
    assert scanned.code == 0, scanned.err
    assert "[/x].[b]mail" in scanned.out


def test_checkout_switches_branch(cli: Cli, shop: Path) -> None:
    assert cli("create", "one", "--no-checkout").code == 0
    assert git(shop, "branch", "--show-current") == "develop"
    assert cli("checkout", "one").code == 0
    assert git(shop, "branch", "--show-current") == "kitchen/one"
    assert cli("checkout", "production").code == 0
    assert git(shop, "branch", "--show-current") == "main"
    assert cli("checkout", "missing").code == 2


def test_delete_removes_schema_branch_and_record(cli: Cli, shop: Path) -> None:
    before = snapshot(shop)
    assert cli("create", "gone", "--no-checkout").code == 0
    result = cli("delete", "gone", "--yes", "--json")
    assert result.code == 0 and result.json()["deleted"]["name"] == "gone"
    assert snapshot(shop) == before
    assert cli("show", "gone").code == 2


def test_delete_of_the_checked_out_kitchen_returns_to_the_parent(cli: Cli, shop: Path) -> None:
    assert cli("create", "here").code == 0
    assert cli("delete", "here", "--yes").code == 0
    assert git(shop, "branch", "--show-current") == "develop"


def test_delete_refuses_root_and_protected_kitchens(cli: Cli, shop: Path) -> None:
    before = snapshot(shop)
    for name in ("production", "dev"):
        result = cli("delete", name, "--yes", "--force")
        assert result.code == 4 and "root kitchen" in result.err
    assert snapshot(shop) == before


def test_delete_refuses_a_kitchen_with_children(cli: Cli) -> None:
    assert cli("create", "parent").code == 0
    assert cli("create", "child").code == 0
    result = cli("delete", "parent", "--yes")
    assert result.code == 3 and "child" in result.err


def test_delete_refuses_unmerged_commits_unless_forced(cli: Cli, shop: Path) -> None:
    assert cli("create", "wip").code == 0
    commit(shop, "wip.sql")
    result = cli("delete", "wip", "--yes")
    assert result.code == 3 and "1 commit not merged into develop" in result.err
    assert "kitchen/wip" in git(shop, "branch")
    assert cli("delete", "wip", "--yes", "--force").code == 0
    assert "kitchen/wip" not in git(shop, "branch")


def test_delete_without_terminal_needs_yes(cli: Cli) -> None:
    assert cli("create", "keep", "--no-checkout").code == 0
    result = cli("delete", "keep")
    assert result.code == 2 and "--yes" in result.err
    assert cli("show", "keep").code == 0


def test_checkout_refused_by_git_leaves_the_kitchen_untouched(cli: Cli, shop: Path) -> None:
    assert cli("create", "edits").code == 0
    commit(shop, "model.sql")  # on the kitchen's branch only
    (shop / "model.sql").write_text("select 2 -- not committed\n")
    result = cli("checkout", "dev")
    assert result.code == 3
    assert "model.sql" in result.err and "stash" in result.err
    before = snapshot(shop)
    deleted = cli("delete", "edits", "--yes", "--force")
    assert deleted.code == 3 and "model.sql" in deleted.err
    assert snapshot(shop) == before
    assert cli("show", "edits", "--json").json()["status"] == "ready"
    assert (shop / "model.sql").read_text() == "select 2 -- not committed\n"
