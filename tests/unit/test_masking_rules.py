from __future__ import annotations

import re

import pytest

from kitchen.backends.warehouse.base import Reference
from kitchen.data import kinds, masking
from kitchen.errors import ConfigError, ExitCode

COLUMNS = {
    "customers": [
        ("email", "VARCHAR"),
        ("birth_date", "DATE"),
        ("score", "INTEGER"),
        ("opens", "time without time zone"),
        ("tags", "VARCHAR[]"),
        ("wait", "INTERVAL"),
    ]
}


def error(rules: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        parsed = masking.parse_rules(rules)
        masking.check_targets(parsed, COLUMNS)
        masking.plan(parsed, "customers", COLUMNS["customers"])
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    return caught.value.message


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            {"customers.email": "scramble"},
            "data.masking.rules.customers.email: unknown strategy 'scramble'",
        ),
        ({"customers": "email"}, "expected table.column"),
        ({"a.b.c": "email"}, "expected table.column"),
        ({"customers.email": {"email": {}, "hash": {}}}, "give one strategy"),
        ({"customers.email": ["email"]}, "give one strategy"),
        ({"customers.score": {"noise": 5}}, "noise expects a fraction between 0 and 1"),
        ({"customers.score": {"noise": True}}, "noise expects a fraction"),
        ({"customers.birth_date": {"shift": 0}}, "shift expects a number of days"),
        ({"customers.email": {"hash": {"length": 4}}}, "hash expects a length from 8 to 32"),
        ({"customers.email": {"partial": {"middle": 2}}}, "partial expects"),
        ({"customers.birth_date": {"generalize": "week"}}, "generalize expects"),
        ({"customers.email": {"sql": "upper(email)"}}, "using {column}"),
        ({"customers.email": {"name": "middle"}}, "name expects full, first or last"),
        ({"customers.email": {"keep": 1}}, "keep takes no option"),
        ({"customers.email": {"email": {"domain": "x y"}}}, "email expects a domain"),
        ({"orders.amount": {"noise": 0.1}}, "there is no table 'orders'"),
        ({"customers.ssn": "redact"}, "table 'customers' has no column 'ssn'."),
        ({"customers.Email": "email"}, "has no column 'Email'. Did you mean 'email'?"),
        ({"customer.email": "email"}, "no table 'customer' to mask. Did you mean 'customers'?"),
        (
            {"customers.birth_date": "email"},
            "email fits text columns, but customers.birth_date is DATE; "
            "use null, shift, generalize, fixed or sql",
        ),
        ({"customers.email": {"shift": 3}}, "shift fits temporal columns"),
        ({"customers.email": {"noise": 0.1}}, "noise fits number columns"),
        (
            {"customers.opens": {"shift": 30}},  # days added to a time of day wrap around
            "shift fits temporal columns, but customers.opens is time without time zone",
        ),
        ({"customers.opens": {"generalize": "year"}}, "generalize fits number or temporal"),
        (
            {"customers.tags": "redact"},
            "redact fits text columns, but customers.tags is VARCHAR[]; use null, fixed or sql.",
        ),
        ({"customers.wait": {"noise": 0.1}}, "noise fits number columns, but customers.wait is"),
        (
            {"customers.score": {"generalize": "year"}},
            "generalize to a year fits temporal columns, but customers.score is INTEGER; give a "
            "bucket size",
        ),
        (
            {"customers.birth_date": {"generalize": 10}},
            "generalize by a bucket size fits number columns, but customers.birth_date is DATE; "
            "give year or month",
        ),
        ({"customers.email": {"fixed": [1]}}, "fixed expects a value"),
    ],
)
def test_bad_rules_are_exit_2_naming_the_rule(rules: dict, message: str) -> None:
    assert message in error(rules)


def test_every_bad_rule_is_said_at_once_a_line_each() -> None:
    """A user with three mistakes fixed one per run: only the first was said."""
    misnamed = {"customers.ssn": "redact", "customer.email": "email", "customers.email": "email"}
    assert error(misnamed).splitlines() == [
        "data.masking.rules.customers.ssn: table 'customers' has no column 'ssn'.",
        "data.masking.rules.customer.email: there is no table 'customer' to mask. "
        "Did you mean 'customers'?",
    ]
    misfits = {"customers.tags": "redact", "customers.score": {"shift": 3}}
    shown = error(misfits).splitlines()
    assert [line.split(": ")[0] for line in shown] == [
        "data.masking.rules.customers.score",
        "data.masking.rules.customers.tags",
    ]
    types = {"a": [("x", "DATE")], "b": [("y", "INTEGER")]}
    with pytest.raises(ConfigError) as caught:
        masking.plan_all(masking.parse_rules({"a.x": "email", "b.y": "email"}), types)
    assert len(caught.value.message.splitlines()) == 2


PG_COLUMNS = [
    ("country", "character(2)"),
    ("email", "character varying(20)"),
    ("ref", "uuid"),
    ("nick", "varchar(12)"),
    ("login", "varchar(25)"),
    ("code", "char(6)"),
]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"t.country": "redact"},
            "t.country: redact makes values of up to 8 characters, but t.country is "
            "character(2); give a shorter text, e.g. {redact: X}.",
        ),
        (
            {"t.email": "email"},
            "email makes values of up to 33 characters, but t.email is character varying(20); "
            "give {hash: {length: 20}}.",
        ),
        ({"t.login": "email"}, "give {email: {domain: ...}} of at most 7 characters or"),
        ({"t.email": {"hash": {"length": 24}}}, "give {hash: {length: 20}}"),
        ({"t.code": "hash"}, "a hash needs 8 characters or more; use partial, redact or null"),
        ({"t.nick": "phone"}, "phone makes values of up to 15 characters"),
        ({"t.nick": "name"}, "use {name: first}, {name: last}, partial or redact"),
        ({"t.ref": "email"}, "email makes text that t.ref (uuid) cannot hold"),
        ({"t.ref": {"hash": {"length": 16}}}, "use hash (all 32 digits), null or fixed"),
        ({"t.country": {"fixed": "USA"}}, "fixed makes values of up to 3 characters"),
    ],
)
def test_rules_whose_output_the_column_cannot_hold(rule: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        masking.plan(masking.parse_rules(rule), "t", PG_COLUMNS)


def test_rules_whose_output_fits_a_column_with_a_length() -> None:
    rules = {
        "t.country": {"redact": "XX"},
        "t.email": {"hash": {"length": 20}},
        "t.ref": "hash",
        "t.nick": {"name": "first"},
        "t.login": {"email": {"domain": "acme.io"}},
        "t.code": {"redact": "XXXXXX"},
    }
    planned = masking.plan(masking.parse_rules(rules), "t", PG_COLUMNS)
    assert all(column.masked for column in planned)
    for rule in ({"partial": 1}, {"fixed": 0}):  # partial keeps the value's length
        planned = masking.plan(masking.parse_rules({"t.country": rule}), "t", PG_COLUMNS)
        assert planned[0].masked


def test_globs_that_match_nothing_are_fine() -> None:
    parsed = masking.parse_rules({"*.ssn": "redact", "orders.*": "keep"})
    masking.check_targets(parsed, COLUMNS)
    assert all(c.rule is None for c in masking.plan(parsed, "customers", COLUMNS["customers"]))


def test_specificity_exact_beats_table_glob_beats_column_glob() -> None:
    parsed = masking.parse_rules(
        {"*.*": "keep", "*.email": "hash", "customers.*": "redact", "customers.email": "email"}
    )
    assert masking.rule_for(parsed, "customers", "email").strategy == "email"
    assert masking.rule_for(parsed, "customers", "name").strategy == "redact"
    assert masking.rule_for(parsed, "orders", "email").strategy == "hash"
    assert masking.rule_for(parsed, "orders", "id").strategy == "keep"


@pytest.mark.parametrize(
    ("kind", "family"),
    [
        ("VARCHAR", "text"),
        ("character varying(255)", "text"),
        ("text", "text"),
        ("INTEGER", "number"),
        ("numeric(12,2)", "number"),
        ("DECIMAL(10,2)", "number"),
        ("double precision", "number"),
        ("DATE", "temporal"),
        ("timestamp without time zone", "temporal"),
        ("money", "number"),
        ("timestamp(3) with time zone", "temporal"),
        ("TIMESTAMP_NS", "temporal"),
        ("time(0) without time zone", "time"),
        ("TIME", "time"),
        ("BOOLEAN", "other"),
        ("jsonb", "other"),
        ("INTERVAL", "other"),  # not a number for having "int" in its name
        ("text[]", "other"),
        ("character varying(20)[]", "other"),
        ("VARCHAR[]", "other"),
        ("STRUCT(a DECIMAL(10,2))", "other"),
        ("point", "other"),
    ],
)
def test_type_families(kind: str, family: str) -> None:
    assert kinds.family(kind) == family


def test_yaml_null_means_the_null_strategy() -> None:
    assert masking.parse_rules({"customers.email": None})[0].strategy == "null"


@pytest.mark.parametrize(
    ("rules", "broken"),
    [
        ({"*.email": "email"}, []),  # one glob for both sides: the same rule
        ({"a.email": "email", "b.email": "email"}, []),
        ({"a.email": {"hash": 16}, "b.email": {"hash": 16}}, []),
        ({"a.email": "null"}, []),  # a NULL reference is no broken one
        ({"b.email": "email"}, ["a.email (not masked) -> b.email (email)"]),
        ({"a.email": "hash", "b.email": "email"}, ["a.email (hash) -> b.email (email)"]),
        ({"*.email": {"hash": 16}, "a.email": "hash"}, ["a.email (hash) -> b.email (hash: 16)"]),
    ],
)
def test_keys_masked_differently_on_each_side_are_named(rules: dict, broken: list[str]) -> None:
    parsed = masking.parse_rules(rules)
    columns = {table: masking.plan(parsed, table, [("email", "TEXT")]) for table in "ab"}
    references = [Reference("a", ("email",), "b", ("email",), nullable=True)]
    assert masking.unjoined(columns, references) == broken
