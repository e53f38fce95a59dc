"""The one naming rule for kitchens, and how a name becomes a branch and a schema."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from kitchen.errors import InvalidName

MAX_LENGTH = 40
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_-]*")
REGISTRY_SCHEMA = "kitchen_meta"
# Schemas that belong to the warehouse itself (PostgreSQL and DuckDB) or to kitchen.
RESERVED_SCHEMAS = frozenset(
    {"public", "information_schema", "main", "temp", "system", REGISTRY_SCHEMA}
)
INTERNAL_PREFIX = "kitchen_"  # kitchen's own schemas: the registry, refresh staging
RESERVED_PREFIXES = ("pg_", INTERNAL_PREFIX)
RULE = "lowercase letters, digits, '-' and '_', starting with a letter, at most 40 characters"


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """What to append to a message about an unknown ``name``: " Did you mean 'Email'?"
    when one of ``known`` is close to it, else nothing."""
    choices = list(dict.fromkeys(known))  # each once
    same = [choice for choice in choices if choice.lower() == name.lower()]
    longer = [choice for choice in choices if choice.startswith(name)]  # prod: production
    only = longer if len(longer) == 1 else []
    close = same or only or difflib.get_close_matches(name, choices, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


TICKET = re.compile(r"[A-Za-z0-9#][A-Za-z0-9._#/:-]{0,99}")


def validate_ticket(key: str) -> str:
    """A ticket's key as trackers write them (SHOP-42, #123, org/repo#123): it becomes a
    commit trailer, so no spaces and no line breaks."""
    if not TICKET.fullmatch(key):
        raise InvalidName(
            f"{key!r} is not a ticket key.",
            hint="Use the tracker's key: letters, digits and . _ # / : - (SHOP-42, #123).",
        )
    return key


def validate(name: str) -> str:
    """Return ``name`` if it follows the naming rule, else raise ``InvalidName``."""
    shown = ascii(name)  # escapes control and non-ASCII characters so output stays safe
    if not name:
        raise InvalidName("A kitchen name cannot be empty.", hint=f"Use {RULE}.")
    if len(name) > MAX_LENGTH:
        raise InvalidName(
            f"Kitchen name {shown[:50]}... is {len(name)} characters long.",
            hint=f"Use at most {MAX_LENGTH} characters.",
        )
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidName(
            f"{shown} is not a valid kitchen name.{_nearest_valid(name)}", hint=f"Use {RULE}."
        )
    return name


def _nearest_valid(name: str) -> str:
    """What an invalid name's message ends with: " Did you mean 'profit-q4'?" for
    Profit-Q4 (fix/login: fix-login). Case and separators only, for an ASCII name that starts
    with a letter."""
    if not (name.isascii() and name[:1].isalpha()):
        return ""
    candidate = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")
    return f" Did you mean {candidate!r}?" if NAME_PATTERN.fullmatch(candidate) else ""


def schema_for(name: str) -> str:
    """The warehouse schema of a kitchen: its name with '-' turned into '_'."""
    return name.replace("-", "_")


def branch_for(name: str, prefix: str) -> str:
    """The git branch of a kitchen: the configured prefix followed by its name."""
    return f"{prefix}{name}"


STAGING_PREFIX = f"{INTERNAL_PREFIX}stage_"
STAGING_LONGEST = 63  # characters of a staging schema's name (PostgreSQL's identifiers)


def staging_schema(schema: str) -> str:
    """Where ``kitchen data refresh`` builds a kitchen's new tables (cut to fit)."""
    return f"{STAGING_PREFIX}{schema}"[:STAGING_LONGEST]


def is_reserved_schema(schema: str) -> bool:
    return schema in RESERVED_SCHEMAS or schema.startswith(RESERVED_PREFIXES)


def check_available(name: str, taken: Iterable[tuple[str, str]], roots: Iterable[str]) -> None:
    """Refuse a valid ``name`` that is reserved or whose schema collides with a kitchen's.

    ``taken`` holds the (name, schema) of every existing kitchen, ``roots`` the root kitchens.
    """
    schema = schema_for(name)
    if name in set(roots):
        raise InvalidName(f"{name!r} is a root kitchen declared in kitchen.yaml.")
    if is_reserved_schema(schema):
        raise InvalidName(
            f"{name!r} is reserved: schema {schema!r} belongs to the warehouse or to kitchen.",
            hint="Choose another name.",
        )
    for other, other_schema in taken:
        if other != name and other_schema == schema:
            raise InvalidName(
                f"{name!r} would use schema {schema!r}, which kitchen {other!r} already uses.",
                hint="Choose a name that differs by more than '-' versus '_'.",
            )
