"""PII detection: column names and sampled values, with evidence and a suggested rule.

Findings carry counts, never values: a scan's output is safe to paste in a ticket.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from kitchen.backends.warehouse.base import Warehouse
from kitchen.data import masking
from kitchen.data.detectors import (
    ADDRESSES,
    is_birth_date,
    is_card,
    is_credential,
    is_document,
    is_email,
    is_filled,
    is_iban,
    is_ip,
    is_name_shaped,
    is_person_name,
    is_phone,
    is_postal_code,
    is_ssn,
    is_street_address,
    is_username,
)
from kitchen.data.kinds import NUMBER, TEMPORAL, family

SAMPLE_SIZE = 200
SCAN_DEPTH = 100_000  # rows read for values of a column the first SAMPLE_SIZE leave empty
VALUE_THRESHOLD = 0.6  # share of sampled values that must look like the kind


@dataclass(frozen=True)
class Kind:
    name: str
    column: re.Pattern[str]  # column names that suggest it
    looks_like: Callable[[Any], bool] | None  # a sampled value that matches it
    rule: str | dict[str, Any]  # the suggested masking rule
    # a looser test for the values of a column whose name already says what it holds
    named_like: Callable[[Any], bool] | None = None
    varied: int = 1  # distinct values that must match (fewer where the column has fewer)
    # names that say the values are something else (a checksum is no password), unless the
    # kind's own name pattern matches too
    unless: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Finding:
    table: str
    column: str
    kind: str
    evidence: str
    suggested_rule: str | dict[str, Any]


def _leaves(value: Any) -> list[Any]:
    """The scalars a value holds: an array's items, a JSON object's, struct's or map's values
    (JSON text parsed), as deep as they go; an ``inet`` address as its text."""
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    if isinstance(value, list | tuple):
        return [leaf for item in value for leaf in _leaves(item)]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, ADDRESSES):
        return [str(value).split("/")[0]]
    return [value]


# Most specific first: an SSN or an IPv4 address would also pass for a phone number.
KINDS = (
    Kind(
        "image or document",
        re.compile(r"photo|picture|avatar|image|(^|_)img|scan|document|attachment|signature"),
        is_document,
        "null",
    ),
    Kind(
        "credential",
        re.compile(
            r"pass(word|wd|_?hash|phrase)|(^|_)pwd|secret|(api|access|private|secret)_?key"
            r"|token(_?hash)?$|(^|_)otp|(^|_)pin(_|$)|credential"
        ),
        is_credential,
        "redact",
        named_like=is_filled,
        unless=re.compile(
            r"checksum|etag|(^|_)sha\d*|md5|digest|fingerprint|commit|revision|uuid|guid"
            r"|(^|_)id$|hash"
        ),
    ),
    Kind("email", re.compile(r"e_?mail"), is_email, "email"),
    Kind("national id", re.compile(r"ssn|social_?sec|national_?id|tax_?id"), is_ssn, "redact"),
    Kind("card number", re.compile(r"card|^cc_|^pan$"), is_card, {"partial": {"last": 4}}),
    Kind("iban", re.compile(r"iban|account_?n"), is_iban, {"partial": {"first": 4}}),
    Kind("ip address", re.compile(r"(^|_)ip(_|$)|ip_?addr"), is_ip, "hash"),
    Kind("phone", re.compile(r"phone|mobile|cell|fax|^tel"), is_phone, "phone"),
    Kind(
        "person name",
        re.compile(
            r"(full|first|last|middle|maiden|sur|given|family|fore|customer|contact|person|"
            r"employee|patient|client|member|holder|owner|recipient)_?name"
        ),
        is_person_name,
        "name",
        named_like=is_name_shaped,
        varied=5,
    ),
    Kind(
        "username",
        re.compile(r"(^|_)(user_?name|login(_?name)?|screen_?name|handle|nick_?name)$"),
        None,
        "hash",
        named_like=is_username,
    ),
    Kind(
        "postal code",
        re.compile(r"(^|_)zip(_?code)?($|_)|postal|post_?code|(^|_)plz$"),
        None,
        {"partial": {"first": 2}},
        named_like=is_postal_code,
    ),
    Kind("street address", re.compile(r"address|street|addr"), is_street_address, "redact"),
    Kind("birth date", re.compile(r"birth|dob|born"), None, {"generalize": "year"}),
)


def classify(table: str, column: str, sql_type: str, values: Sequence[Any]) -> Finding | None:
    """The most convincing kind of PII in one column, or None."""
    name = _words(column)
    present = [value for value in values if value is not None]
    # digits pass for many kinds: a number is read as text only where the name agrees
    numeric = family(sql_type) == NUMBER
    leaves = [[str(value)] if numeric else _leaves(value) for value in present]
    nested = not numeric and any(found != [v] for found, v in zip(leaves, present, strict=True))
    for kind in KINDS:
        named = bool(kind.column.search(name))
        looks_like = kind.named_like if named and kind.named_like else kind.looks_like
        if looks_like is None or (numeric and not named):
            continue
        if not named and kind.unless is not None and kind.unless.search(name):
            continue
        matched = [found for found in leaves if any(map(looks_like, found))]
        hits = len(matched)
        if looks_like is kind.looks_like and not _varied(matched, leaves, kind.varied):
            continue
        if present and hits / len(present) >= VALUE_THRESHOLD:
            found = "hold one" if nested else "match"
            if looks_like is kind.named_like:
                found = "are shaped like one"
            evidence = f"{hits}/{len(present)} sampled values {found}"
            if named:
                evidence += "; so does the name"
            return _finding(table, column, sql_type, kind, evidence)
    for kind in KINDS:
        if not kind.column.search(name):
            continue
        if kind.name == "birth date" and family(sql_type) == TEMPORAL:
            plausible = sum(1 for value in present if is_birth_date(value))
            if not present or plausible / len(present) >= VALUE_THRESHOLD:
                return _finding(table, column, sql_type, kind, "a date column, named like one")
        elif kind.name != "birth date" and not present:
            return _finding(table, column, sql_type, kind, "its name (no values to sample)")
    return None


def _varied(matched: list[list[Any]], leaves: list[list[Any]], least: int) -> bool:
    """Whether the matching values are as varied as the kind's are: a customer's name column
    holds many names, a product column with Earl Grey and French Press in it holds two."""
    distinct = {str(leaf) for found in leaves for leaf in found}
    return len({str(leaf) for found in matched for leaf in found}) >= min(least, len(distinct))


def _words(column: str) -> str:
    """A column's name as words: "Full Name", "E-Mail" read as full_name, e_mail."""
    return re.sub(r"\W+", "_", column.lower())


# a column that holds one part of a name gets that part
NAME_PARTS = (
    ("first", re.compile(r"(first|given|fore)_?name")),
    ("last", re.compile(r"(last|sur|family|maiden)_?name")),
)


def _finding(table: str, column: str, sql_type: str, kind: Kind, evidence: str) -> Finding:
    """With the kind's rule where it fits the column (a phone number in a bigint column, or
    emails in a JSON one, cannot take the text strategies), else null, which fits all."""
    rule = kind.rule
    if kind.rule == "name":
        part = next((p for p, named in NAME_PARTS if named.search(_words(column))), None)
        rule = {"name": part} if part else rule
    name, option = (rule, None) if isinstance(rule, str) else next(iter(rule.items()))
    where = f"{table}.{column}"
    if masking.misfit(masking.Rule(where, name, option), where, sql_type):
        rule = "null"
    return Finding(table, column, kind.name, evidence, rule)


def scan(warehouse: Warehouse, schema: str, tables: Sequence[str] | None = None) -> list[Finding]:
    """Every suspicious column of every table in ``schema`` (or of ``tables``)."""
    findings = []
    for table in warehouse.kitchen_tables(schema) if tables is None else tables:
        types = dict(warehouse.column_types(schema, table, base=True))
        columns, rows = warehouse.preview(schema, table, SAMPLE_SIZE, ordered=False)
        values = {column: [row[i] for row in rows] for i, column in enumerate(columns)}
        # a column filled only in later rows (added to the table since) looks further on
        empty = [column for column, found in values.items() if all(v is None for v in found)]
        if rows and empty:
            later = warehouse.present(schema, table, empty, SAMPLE_SIZE, SCAN_DEPTH)
            values.update({column: [row[i] for row in later] for i, column in enumerate(empty)})
        for column in columns:
            finding = classify(table, column, types.get(column, ""), values[column])
            if finding:
                findings.append(finding)
    return findings


def describe(finding: Finding) -> str:
    """``customers.ssn (national id): suggested rule redact`` for messages."""
    return f"{finding.table}.{finding.column} ({finding.kind}): suggested rule {rule_text(finding)}"


def rule_text(finding: Finding) -> str:
    """The suggested rule as it would be written in kitchen.yaml: email, {partial: {last: 4}}."""
    rule = finding.suggested_rule
    return rule if isinstance(rule, str) else yaml.safe_dump(rule, default_flow_style=True).strip()
