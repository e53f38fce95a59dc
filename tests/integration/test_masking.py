"""Every masking strategy, compiled to SQL and run inside DuckDB and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kitchen import config
from kitchen.backends.warehouse.base import Column, Probe, TableSpec, Warehouse
from kitchen.backends.warehouse.duckdb import DuckDBWarehouse
from kitchen.backends.warehouse.postgres import PostgresWarehouse
from kitchen.backends.warehouse.sql import sql
from kitchen.data import masking, projection
from kitchen.data.dictionaries import FIRST_NAMES, LAST_NAMES
from kitchen.errors import ConfigError, ExitCode
from kitchen.workflows import datacopy
from tests.conftest import WarehouseFactory, copy_args

PEOPLE = TableSpec(
    "people",
    (
        Column("id", "INTEGER"),
        Column("full_name", "TEXT"),
        Column("email", "TEXT"),
        Column("phone", "TEXT"),
        Column("birth_date", "DATE"),
        Column("card", "TEXT"),
        Column("amount", "DECIMAL(10,2)"),
        Column("note", "TEXT"),
    ),
    primary_key="id",
)
ROWS = [
    (
        1,
        "Ann Lee",
        "ann@corp.example",
        "+1-555-100-2000",
        date(1980, 5, 17),
        "4111111111111111",
        Decimal("120.50"),
        "vip",
    ),
    (
        2,
        "Bo Chan",
        "bo@corp.example",
        "+1-555-100-2001",
        date(1992, 11, 3),
        "5500005555555559",
        Decimal("80.00"),
        None,
    ),
    (3, "Cy Diaz", "ann@corp.example", None, None, "340000000000009", Decimal("5.25"), "x"),
]
COLUMNS = [column.name for column in PEOPLE.columns]


@pytest.fixture
def warehouse(open_warehouse: WarehouseFactory) -> Warehouse:
    warehouse = open_warehouse("dev")
    warehouse.create_schema("src")
    warehouse.create_table("src", PEOPLE)
    warehouse.insert_rows("src", "people", COLUMNS, ROWS)
    warehouse.set_salt("test-salt")
    return warehouse


def masked(
    warehouse: Warehouse, rules: dict[str, Any], schema: str = "dst", table: str = "people"
) -> list[tuple]:
    parsed = masking.parse_rules(rules)
    columns = masking.plan(parsed, table, warehouse.column_types("src", table))
    projection.rehearse(
        warehouse, "src", table, columns
    )  # as every copy does: rules that work pass
    warehouse.create_schema(schema)
    warehouse.copy_table(
        warehouse, "src", table, schema, **copy_args(projection.select_list(warehouse, columns))
    )
    return warehouse.preview(schema, table, 10)[1]


def column(rows: list[tuple], name: str) -> list[Any]:
    return [row[COLUMNS.index(name)] for row in rows]


def test_keep_and_unruled_columns_are_copied_as_they_are(warehouse: Warehouse) -> None:
    rows = masked(warehouse, {"people.note": "keep"})
    assert rows == ROWS


def test_null_redact_fixed(warehouse: Warehouse) -> None:
    rows = masked(
        warehouse,
        {
            "people.note": "null",
            "people.full_name": "redact",
            "people.amount": {"fixed": 0},
            "people.birth_date": {"fixed": date(2000, 1, 1)},  # as YAML reads 2000-01-01
        },
    )
    assert column(rows, "note") == [None, None, None]
    assert column(rows, "full_name") == ["REDACTED"] * 3
    assert column(rows, "amount") == [Decimal("0.00")] * 3
    assert column(rows, "birth_date") == [date(2000, 1, 1), date(2000, 1, 1), None]


def test_hash_is_keyed_deterministic_and_consistent_across_rows(warehouse: Warehouse) -> None:
    rows = masked(warehouse, {"people.email": {"hash": {"length": 16}}})
    emails = column(rows, "email")
    assert all(re.fullmatch(r"[0-9a-f]{16}", value) for value in emails)
    assert emails[0] == emails[2] != emails[1]  # same input, same output
    warehouse.set_salt("another-salt")
    assert (
        column(masked(warehouse, {"people.email": "hash"}, "other"), "email")[0][:16] != emails[0]
    )


def test_email_name_phone_look_real_and_never_original(warehouse: Warehouse) -> None:
    rows = masked(
        warehouse,
        {"people.email": "email", "people.full_name": "name", "people.phone": "phone"},
    )
    for value in column(rows, "email"):
        assert re.fullmatch(r"user-[0-9a-f]{12}@example\.invalid", value)
    for value in column(rows, "full_name"):
        first, last = value.split(" ")
        assert first in FIRST_NAMES and last in LAST_NAMES
    phones = column(rows, "phone")
    assert re.fullmatch(r"\+1-[2-9]\d\d-555-01\d\d", phones[0]) and phones[2] is None
    originals = {value for row in ROWS for value in row if value is not None}
    assert not originals & set(column(rows, "email") + phones)


def test_picks_spread_over_their_range_independently(warehouse: Warehouse) -> None:
    """Two picks from one digest (first and last name, days and sign) must not move together."""
    spec = (Column("id", "INTEGER"), Column("full_name", "TEXT"), Column("birth_date", "DATE"))
    warehouse.create_table("src", TableSpec("many", spec))
    rows = [(i, f"Person {i}", date(1950, 1, 1) + timedelta(days=i)) for i in range(2000)]
    warehouse.insert_rows("src", "many", [column.name for column in spec], rows)
    rules = masking.parse_rules({"many.full_name": "name", "many.birth_date": {"shift": 10}})
    columns = masking.plan(rules, "many", warehouse.column_types("src", "many"))
    warehouse.create_schema("dst")
    warehouse.copy_table(
        warehouse, "src", "many", "dst", **copy_args(projection.select_list(warehouse, columns))
    )
    result = warehouse.preview("dst", "many", 2000)[1]  # by id
    fakes = [name.split(" ") for _, name, _ in result]
    assert len({first for first, _ in fakes}) > 0.9 * len(FIRST_NAMES)
    assert len({last for _, last in fakes}) > 0.9 * len(LAST_NAMES)
    # 2,000 draws of 68 x 62 pairs give about 1,600 distinct ones; correlated picks far fewer
    assert len({tuple(fake) for fake in fakes}) > 1400
    moves = [(new[2] - old[2]).days for new, old in zip(result, rows, strict=True)]
    assert set(moves) == {*range(-10, 0), *range(1, 11)}
    assert 800 < sum(move > 0 for move in moves) < 1200


def test_partial_keeps_the_ends(warehouse: Warehouse) -> None:
    rows = masked(warehouse, {"people.card": {"partial": {"first": 1, "last": 4}}})
    assert column(rows, "card") == ["4***********1111", "5***********5559", "3**********0009"]
    short = masked(warehouse, {"people.note": {"partial": 4}}, "short")
    assert column(short, "note") == ["***", None, "*"]  # too short to show anything


def test_shift_moves_every_date_within_the_window(warehouse: Warehouse) -> None:
    rows = masked(warehouse, {"people.birth_date": {"shift": 10}})
    for original, shifted in zip(
        column(ROWS, "birth_date"), column(rows, "birth_date"), strict=True
    ):
        if original is None:
            assert shifted is None
        else:
            assert isinstance(shifted, date) and 1 <= abs((shifted - original).days) <= 10


def test_points_in_time_mask_alike_in_every_time_zone(warehouse: Warehouse) -> None:
    """A day added or a month truncated in the session's time zone (on DuckDB, the
    machine's) made another kitchen from the same value in New York than in UTC."""
    moments = TableSpec(
        "moments",
        (
            Column("id", "INTEGER"),
            Column("shifted", "TIMESTAMP WITH TIME ZONE"),
            Column("month", "TIMESTAMP WITH TIME ZONE"),
        ),
    )
    warehouse.create_table("src", moments)
    early_march, before_dst = (
        datetime(2024, 3, 1, 2, tzinfo=UTC),  # still February in New York
        datetime(2024, 3, 9, 12, tzinfo=UTC),  # a day or two before New York's clocks move
    )
    values = [(1, before_dst, early_march), (2, early_march, before_dst)]
    warehouse.insert_rows("src", "moments", ["id", "shifted", "month"], values)
    rules = {"moments.shifted": {"shift": 3}, "moments.month": {"generalize": "month"}}
    made = []
    for zone in ("UTC", "America/New_York"):
        warehouse.execute(sql(f"SET TimeZone = '{zone}'"))
        made.append(masked(warehouse, rules, schema=f"in_{zone[:2].lower()}", table="moments"))
    assert made[0] == made[1]  # aware datetimes: the same instants
    assert [row[2] for row in made[0]] == [datetime(2024, 3, 1, tzinfo=UTC)] * 2
    for (_, original, _), (_, shifted, _) in zip(values, made[0], strict=True):
        moved = shifted - original
        assert moved % timedelta(days=1) == timedelta() and 1 <= abs(moved.days) <= 3


def test_noise_stays_within_the_percentage(warehouse: Warehouse) -> None:
    rows = masked(warehouse, {"people.amount": {"noise": 0.1}})
    for original, noisy in zip(column(ROWS, "amount"), column(rows, "amount"), strict=True):
        assert abs(noisy - original) <= original * Decimal("0.1") + Decimal("0.01")
    assert column(rows, "amount") != column(ROWS, "amount")


def test_noise_keeps_each_values_decimals(warehouse: Warehouse) -> None:
    """PostgreSQL's numeric without a scale took the factor's: 1.50 became 1.6422...0 with
    20 decimals. Each value keeps its own (DuckDB's NUMERIC has a fixed scale anyway)."""
    spec = TableSpec("prices", (Column("id", "INTEGER"), Column("price", "NUMERIC")), "id")
    warehouse.create_table("src", spec)
    values = [Decimal("1.50"), Decimal("1234.5678"), Decimal("20"), Decimal("0.001")]
    warehouse.insert_rows("src", "prices", ["id", "price"], list(enumerate(values)))
    originals = dict(warehouse.preview("src", "prices", 10)[1])
    noisy = dict(masked(warehouse, {"prices.price": {"noise": 0.1}}, table="prices"))
    for key, original in originals.items():
        assert noisy[key].as_tuple().exponent == original.as_tuple().exponent, noisy[key]
        assert abs(noisy[key] - original) <= abs(original) * Decimal("0.1") + Decimal("0.001")


LIMITS = TableSpec(
    "limits",
    (
        Column("id", "INTEGER"),
        Column("rate", "DECIMAL(3,2)"),
        Column("small", "SMALLINT"),
        Column("big", "BIGINT"),
        Column("whole", "DECIMAL(4,0)"),
    ),
    primary_key="id",
)
EDGES = [
    (1, Decimal("9.99"), 2**15 - 1, 2**63 - 1, Decimal("9999")),
    (2, Decimal("-9.99"), -(2**15), -(2**63), Decimal("-9999")),
    (3, Decimal("9.50"), 32000, 2**62, Decimal("9700")),
]
RANGES = [(EDGES[1][index], EDGES[0][index]) for index in range(1, 5)]  # rows 1 and 2 are them


@pytest.mark.parametrize("rule", [{"noise": 0.1}, {"generalize": 7}])
def test_numbers_near_their_types_limits_stay_within_them(
    warehouse: Warehouse, rule: dict[str, Any]
) -> None:
    """Noise or buckets would push these past what their column holds: the copy would fail."""
    names = [column.name for column in LIMITS.columns]
    warehouse.create_table("src", LIMITS)
    warehouse.insert_rows("src", "limits", names, EDGES)
    rules = {f"limits.{name}": rule for name in names[1:]}
    rows = sorted(masked(warehouse, rules, table="limits"))
    for original, copied in zip(EDGES, rows, strict=True):
        for (low, high), before, after in zip(RANGES, original[1:], copied[1:], strict=True):
            assert low <= after <= high  # within the type, so the copy went through
            assert abs(after - before) <= abs(before) * Decimal("0.1") + 7  # and near it
    assert rows[2][1:] != EDGES[2][1:]  # away from the limits, values moved


TYPED = TableSpec(
    "typed",
    (
        Column("id", "INTEGER"),
        Column("country", "CHAR(2)"),
        Column("email", "VARCHAR(40)"),
        Column("ref", "UUID"),
        Column("amount", "DECIMAL(10,2)"),
        Column("seen", "TIMESTAMP(0)"),
        Column("born", "DATE"),
        Column("note", "VARCHAR(12)"),
    ),
    primary_key="id",
)


def test_a_masked_copy_keeps_every_columns_type(warehouse: Warehouse) -> None:
    """char(2) stays char(2), varchar(40) varchar(40), uuid uuid: pipelines and schema
    checks see the parent's types (PostgreSQL's CASE alone would drop the lengths)."""
    names = [column.name for column in TYPED.columns]
    warehouse.create_table("src", TYPED)
    uuid = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    row = (
        1,
        "US",
        "ann@corp.example",
        uuid,
        Decimal("12.50"),
        "2024-01-01 10:00:00",
        date(1990, 1, 2),
        "vip",
    )
    warehouse.insert_rows("src", "typed", names, [row, (2, *[None] * 7)])
    rules = {
        "typed.country": {"redact": "XX"},
        "typed.email": "email",
        "typed.ref": "hash",
        "typed.amount": {"noise": 0.1},
        "typed.seen": {"generalize": "month"},
        "typed.born": {"shift": 30},
        "typed.note": "null",
    }
    copied = sorted(masked(warehouse, rules, table="typed"))
    assert warehouse.column_types("dst", "typed") == warehouse.column_types("src", "typed")
    assert str(copied[0][3]) != uuid and len(str(copied[0][3])) == 36  # a uuid, another one
    assert copied[1][1:] == (None,) * 7


def test_generalize_dates_and_numbers(warehouse: Warehouse) -> None:
    rows = masked(
        warehouse,
        {"people.birth_date": {"generalize": "year"}, "people.amount": {"generalize": 50}},
    )
    assert column(rows, "birth_date") == [date(1980, 1, 1), date(1992, 1, 1), None]
    assert column(rows, "amount") == [Decimal("100.00"), Decimal("50.00"), Decimal("0.00")]


def test_custom_sql_expression(warehouse: Warehouse) -> None:
    rows = masked(warehouse, {"people.full_name": {"sql": "upper(left({column}, 1)) || '.'"}})
    assert column(rows, "full_name") == ["A.", "B.", "C."]


def people_with(warehouse: Warehouse, *extra: Column) -> list[str]:
    """An empty src.people with ``extra`` columns after PEOPLE's; its column names."""
    warehouse.drop_schema("src")
    warehouse.create_schema("src")
    warehouse.create_table("src", TableSpec("people", (*PEOPLE.columns, *extra)))
    return [*COLUMNS, *(column.name for column in extra)]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"people.full_name": {"sql": "upper({column}"}},
            "data.masking.rules.people.full_name: the dev warehouse cannot apply sql to "
            "people.full_name",
        ),
        ({"people.note": {"sql": "no_such_function({column})"}}, "cannot apply sql to people"),
        ({"people.amount": {"fixed": "NONE"}}, "cannot apply fixed to people.amount"),
        ({"people.amount": {"fixed": "1e"}}, "cannot apply fixed to people.amount"),
        ({"people.birth_date": {"fixed": "someday"}}, "cannot apply fixed to people.birth_date"),
        ({"people.birth_date": {"fixed": 20240101}}, "cannot apply fixed to people.birth_date"),
        ({"people.flag": {"fixed": "maybe"}}, "cannot apply fixed to people.flag"),
        ({"people.ref": {"fixed": "none"}}, "cannot apply fixed to people.ref"),
        ({"people.note": {"fixed": False}}, "fixed value False is a boolean"),
    ],
)
def test_rules_the_warehouse_cannot_apply_are_exit_2_before_copying(
    warehouse: Warehouse, rule: dict[str, Any], message: str
) -> None:
    """A custom expression's typo, a fixed value its column cannot hold: found by the
    warehouse before anything is copied, not half-way through a copy."""
    people_with(warehouse, Column("flag", "BOOLEAN"), Column("ref", "UUID"))
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        masked(warehouse, rule)
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    assert "dst" not in warehouse.list_schemas()


@pytest.mark.parametrize(
    ("name", "value", "written"),
    [
        ("amount", 0, Decimal("0.00")),
        ("amount", "-1.5e3", Decimal("-1500.00")),
        ("amount", 2.5, Decimal("2.50")),
        ("birth_date", "2024-01-01", date(2024, 1, 1)),
        ("birth_date", date(2024, 1, 1), date(2024, 1, 1)),  # YAML's unquoted 2024-01-01
        ("note", "nobody", "nobody"),
        ("note", 7, "7"),
        ("flag", False, False),  # YAML's unquoted no
        ("flag", "yes", True),
    ],
)
def test_fixed_values_their_column_can_hold(
    warehouse: Warehouse, name: str, value: object, written: object
) -> None:
    names = people_with(warehouse, Column("flag", "BOOLEAN"))
    warehouse.insert_rows("src", "people", names, [(*ROWS[0], True)])
    (row,) = masked(warehouse, {f"people.{name}": {"fixed": value}})
    assert row[names.index(name)] == written


def test_globs_match_and_the_most_specific_rule_wins(warehouse: Warehouse) -> None:
    rows = masked(warehouse, {"*.email": "redact", "people.email": {"redact": "exact"}})
    assert column(rows, "email") == ["exact"] * 3


def test_same_value_masks_the_same_in_every_table_and_kitchen(warehouse: Warehouse) -> None:
    warehouse.create_table("src", TableSpec("contacts", (Column("email", "TEXT"),)))
    warehouse.insert_rows("src", "contacts", ["email"], [("bo@corp.example",)])
    rules = masking.parse_rules({"*.email": "email"})
    first = masked(warehouse, {"*.email": "email"}, "kitchen_a")
    second = masked(warehouse, {"*.email": "email"}, "kitchen_b")
    assert first == second
    columns = masking.plan(rules, "contacts", warehouse.column_types("src", "contacts"))
    warehouse.copy_table(
        warehouse,
        "src",
        "contacts",
        "kitchen_a",
        **copy_args(projection.select_list(warehouse, columns)),
    )
    contact = warehouse.preview("kitchen_a", "contacts", 1)[1][0][0]
    assert contact == column(first, "email")[1]  # so masked keys still join


def test_overlap_finds_originals_and_not_masked_values(warehouse: Warehouse) -> None:
    masked(warehouse, {"people.email": "email"})
    assert warehouse.overlap(warehouse, "src", "people", "dst", Probe("email")) == 0
    assert warehouse.overlap(warehouse, "src", "people", "dst", Probe("full_name")) == 3


@pytest.mark.parametrize(
    ("rule", "becomes"),
    [
        ("redact", ""),
        ("hash", ""),
        ("email", ""),
        ("name", ""),
        ("phone", ""),  # made up a number for a customer who gave none
        ({"partial": {"first": 1, "last": 1}}, ""),
        ({"fixed": "x"}, ""),
        ("null", None),
        ({"sql": "CASE WHEN {column} = '' THEN 'n/a' ELSE md5({column}) END"}, "n/a"),
    ],
)
def test_an_empty_string_is_kept_by_every_rule_and_never_a_leak(
    warehouse: Warehouse, rule: Any, becomes: str | None
) -> None:
    """The masking check reported '1 original value present' for an empty string that
    `partial` kept, while `phone` turned the same empty string into a fake number."""
    warehouse.execute(sql("UPDATE src.people SET phone = '' WHERE id = 1"))
    rows = masked(warehouse, {"people.phone": rule})
    assert column(rows, "phone")[0] == becomes
    assert column(rows, "phone")[2] is None  # and NULL stays NULL
    planned = masking.plan(
        masking.parse_rules({"people.phone": rule}),
        "people",
        warehouse.column_types("src", "people"),
    )
    found = datacopy.overlaps(warehouse, warehouse, "src", "dst", {"people": planned})
    assert [count for *_, count in found] == ([] if rule == "name" else [0])  # name: unchecked


def test_the_check_skips_empty_strings_but_finds_every_other_original(
    warehouse: Warehouse,
) -> None:
    warehouse.execute(sql("UPDATE src.people SET phone = '' WHERE id = 1"))
    keep_all = {"people.phone": {"sql": "{column}"}}
    masked(warehouse, keep_all)
    planned = masking.plan(
        masking.parse_rules(keep_all), "people", warehouse.column_types("src", "people")
    )
    found = datacopy.overlaps(warehouse, warehouse, "src", "dst", {"people": planned})
    assert found == [("people", "phone", 1)]  # the second row's phone; not the empty one


@pytest.mark.parametrize("across", [False, True], ids=["one environment", "two"])
def test_the_constant_a_rule_writes_is_no_leak_but_other_originals_are(
    warehouse: Warehouse, open_warehouse: WarehouseFactory, across: bool
) -> None:
    """`fixed: vip` on a column that holds 'vip' (or redact to an original value) was
    reported as "masking check FAILED": the constant the user chose is not a leak."""
    into = open_warehouse("production") if across else warehouse
    into.set_salt("test-salt")
    rules = {"people.note": {"fixed": "vip"}, "people.full_name": {"redact": "Bo Chan"}}
    planned = masking.plan(
        masking.parse_rules(rules), "people", warehouse.column_types("src", "people")
    )

    def copied(columns: list[masking.Column]) -> list[tuple[str, str, int]]:
        into.create_schema("dst")
        projected = projection.select_list(warehouse, columns)
        into.copy_table(warehouse, "src", "people", "dst", **copy_args(projected))
        found = datacopy.overlaps(warehouse, into, "src", "dst", {"people": planned})
        into.drop_schema("dst")
        return found

    assert copied(planned) == [("people", "full_name", 0), ("people", "note", 0)]
    # copied unmasked, every original but the rule's own constant is still a leak
    assert copied(masking.plan([], "people", warehouse.column_types("src", "people"))) == [
        ("people", "full_name", 2),
        ("people", "note", 1),
    ]


@pytest.mark.parametrize("across", [False, True], ids=["one environment", "two"])
def test_verification_compares_types_without_equality_as_text(
    warehouse: Warehouse, open_warehouse: WarehouseFactory, across: bool
) -> None:
    """PostgreSQL's json has no equality operator: comparing it failed the whole copy."""
    kind = "json" if isinstance(warehouse, PostgresWarehouse) else "JSON"
    events = TableSpec("events", (Column("id", "INTEGER"), Column("payload", kind)))
    warehouse.create_table("src", events)
    payloads = [(1, '{"email": "ann@corp.example"}'), (2, "{}")]
    warehouse.insert_rows("src", "events", ["id", "payload"], payloads)
    into = open_warehouse("production") if across else warehouse
    into.set_salt("test-salt")
    planned = masking.plan(
        masking.parse_rules({"events.payload": {"sql": "{column}"}}),  # keeps every value
        "events",
        warehouse.column_types("src", "events"),
    )
    into.create_schema("dst")
    into.copy_table(
        warehouse, "src", "events", "dst", **copy_args(projection.select_list(warehouse, planned))
    )
    found = datacopy.overlaps(warehouse, into, "src", "dst", {"events": planned})
    assert found == [("events", "payload", 2)]  # both original values are found


def test_both_engines_mask_identically(
    tmp_path: Path, postgres_database: Callable[[str], str]
) -> None:
    rules = {
        "people.email": "email",
        "people.full_name": "name",
        "people.phone": "phone",
        "people.birth_date": "shift",
        "people.card": "hash",
        "people.amount": {"noise": 0.2},
    }
    engines: list[Warehouse] = [
        DuckDBWarehouse(tmp_path / "dev.duckdb", "dev"),
        PostgresWarehouse(
            config.PostgresWarehouse(type="postgres", dsn=postgres_database("dev")), "dev"
        ),
    ]
    results = []
    for warehouse in engines:
        warehouse.create_schema("src")
        warehouse.create_table("src", PEOPLE)
        warehouse.insert_rows("src", "people", COLUMNS, ROWS)
        warehouse.set_salt("shared")
        results.append(masked(warehouse, rules))
        warehouse.close()
    assert results[0] == results[1]
