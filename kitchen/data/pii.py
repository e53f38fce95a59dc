"""PII detection: column names and sampled values, with evidence and a suggested rule.

Findings carry counts, never values: a scan's output is safe to paste in a ticket.
"""

from __future__ import annotations

import importlib
import ipaddress
import json
import pkgutil
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import yaml

from kitchen.backends.warehouse.base import Warehouse
from kitchen.data import masking
from kitchen.data.dictionaries import FIRST_NAMES, LAST_NAMES
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


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


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


ADDRESSES = (ipaddress.IPv4Address, ipaddress.IPv6Address)  # and their Interface subclasses


EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
PHONE = re.compile(r"(\+?\d{1,3}[ .-]?)?(\(\d{2,4}\) ?|\d{2,4})([ .-]?\d{2,4}){1,3}")
SSN = re.compile(r"(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}")
STREET = re.compile(
    r"\d+[A-Za-z]?\s+(\w+\s+){0,3}(street|st|avenue|ave|road|rd|lane|ln|drive|dr|court|ct|"
    r"boulevard|blvd|way|place|pl|square|sq|terrace|parkway|pkwy|highway|hwy)\.?\b.*",
    re.IGNORECASE,
)
NAME_WORD = re.compile(r"[^\W\d_]+(['\u2019.-][^\W\d_]*)*")  # Ann, O'Brien, Jean-Luc, J.
# crypt(3) and framework password hashes: bcrypt, argon2, scrypt, sha-crypt, Django's pbkdf2
PASSWORD_HASH = re.compile(
    r"\$(2[abxy]?|argon2(id|i|d)|scrypt|7|5|6|1|pbkdf2(-sha\d+)?)\$\S{8,}"
    r"|(pbkdf2_sha\d+|bcrypt(_sha256)?|argon2|scrypt|sha1|md5)\$\S{8,}"
)
# API tokens that say what they are: Stripe, GitHub, Slack, AWS, Google, GitLab, JWTs
API_TOKEN = re.compile(
    r"(sk|pk|rk)_(live|test)_[0-9A-Za-z]{16,}|gh[pousr]_[0-9A-Za-z]{30,}"
    r"|xox[abprs]-[0-9A-Za-z-]{10,}|(AKIA|ASIA)[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}"
    r"|glpat-[0-9A-Za-z_-]{20,}|eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}"
)
HEX_DIGEST = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-fA-F]{128}")
USERNAME = re.compile(r"@?[A-Za-z0-9][A-Za-z0-9._-]{1,39}")
POSTAL = re.compile(
    r"\d{4,6}(-\d{3,4})?"  # US ZIP (+4), most of Europe, India
    r"|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}"  # UK
    r"|[A-Z]\d[A-Z] ?\d[A-Z]\d"  # Canada
    r"|\d{4} ?[A-Z]{2}|\d{3}-\d{4}|\d{2}-\d{3}",  # Netherlands, Japan, Poland
    re.IGNORECASE,
)
# what images and documents start with: JPEG, PNG, GIF, PDF, ZIP (docx, xlsx), TIFF, BMP,
# RIFF (WebP), ISO media (HEIC, MP4), OLE (doc, xls)
MAGIC_NUMBERS = (
    b"\xff\xd8\xff",
    b"\x89PNG",
    b"GIF8",
    b"%PDF",
    b"PK\x03\x04",
    b"II*\x00",
    b"MM\x00*",
    b"BM",
    b"RIFF",
    b"\xd0\xcf\x11\xe0",
)


def is_email(value: Any) -> bool:
    return bool(EMAIL.fullmatch(_text(value)))


def is_phone(value: Any) -> bool:
    text = _text(value)
    digits = sum(ch.isdigit() for ch in text)
    return 7 <= digits <= 15 and bool(PHONE.fullmatch(text)) and not is_card(value)


def is_ssn(value: Any) -> bool:
    return bool(SSN.fullmatch(_text(value)))


def luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char) * (2 if index % 2 else 1)
        total += number - 9 if number > 9 else number
    return total % 10 == 0


def is_card(value: Any) -> bool:
    digits = re.sub(r"[ -]", "", _text(value))
    return digits.isdigit() and 13 <= len(digits) <= 19 and luhn(digits)


def is_iban(value: Any) -> bool:
    text = _text(value).replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", text):
        return False
    rearranged = text[4:] + text[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def is_ip(value: Any) -> bool:
    text = _text(value)
    if not text or not re.fullmatch(r"[0-9A-Fa-f:.]+", text):
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@cache
def person_names() -> tuple[frozenset[str], frozenset[str]]:
    """First and last names (lower case) of every locale Faker knows, tens of thousands of
    each, and the built-in ones: a real customer's name is rarely in a short list. Loaded on
    the first scan (a tenth of a second), not by every command."""
    import faker.providers.person

    first = {name.lower() for name in FIRST_NAMES}
    last = {name.lower() for name in LAST_NAMES}
    for locale in pkgutil.iter_modules(faker.providers.person.__path__):
        module = importlib.import_module(f"{faker.providers.person.__name__}.{locale.name}")
        provider = vars(getattr(module, "Provider", object))
        for attribute, names in provider.items():
            if isinstance(names, list | tuple | dict) and attribute.startswith(
                ("first_names", "last_names")
            ):
                found = first if attribute.startswith("first") else last
                found.update(name.lower() for name in names if isinstance(name, str))
    return frozenset(first), frozenset(last)


def is_person_name(value: Any) -> bool:
    """'Ann Lee', 'Lee, Ann', 'Ann Marie Lee': a known first name and a known last name.
    One word alone is not enough: Rose, Brown and Paris are names too."""
    words = _text(value).lower().replace(",", " ").split()
    if not 2 <= len(words) <= 4:
        return False
    first, last = person_names()
    surname = words[-1] in last or " ".join(words[1:]) in last  # Pieter de Vries
    return (words[0] in first and surname) or (words[0] in last and words[-1] in first)


def is_name_shaped(value: Any) -> bool:
    """One to four words of letters ('Oluwaseun', "Siobhán O'Brien-Hale", '王伟'): what a
    column named ``first_name`` or ``full_name`` holds, from any country."""
    words = _text(value).replace(",", " ").split()
    return 1 <= len(words) <= 4 and all(NAME_WORD.fullmatch(word) for word in words)


def is_street_address(value: Any) -> bool:
    return bool(STREET.fullmatch(_text(value)))


def is_secret(value: Any) -> bool:
    """A password hash in a format that says so, or an API token: kept by nobody but the
    person it lets in."""
    text = _text(value)
    return bool(PASSWORD_HASH.fullmatch(text) or API_TOKEN.fullmatch(text))


def is_credential(value: Any) -> bool:
    """A secret, or a bare hex digest (an unsalted md5 or sha of a password)."""
    return is_secret(value) or bool(HEX_DIGEST.fullmatch(_text(value)))


def is_filled(value: Any) -> bool:
    """Anything at all: what a column named ``password`` holds is one, whatever it looks like."""
    return bool(_text(value)) or isinstance(value, bytes | bytearray | memoryview)


def is_username(value: Any) -> bool:
    return bool(USERNAME.fullmatch(_text(value))) or is_email(value)


def is_postal_code(value: Any) -> bool:
    return bool(POSTAL.fullmatch(_text(value)))


def is_document(value: Any) -> bool:
    """Bytes of an image or a document, by the magic number it starts with."""
    if isinstance(value, memoryview | bytearray):
        value = bytes(value[:8])
    return isinstance(value, bytes) and value.startswith(MAGIC_NUMBERS)


def is_birth_date(value: Any) -> bool:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        return False
    age = (date.today() - value).days / 365.25
    return 0 <= age <= 120


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
