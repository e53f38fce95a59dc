"""A PostgreSQL schema's structure, read from its catalogue as the DDL that builds it again.

Every statement is PostgreSQL's own text (``pg_get_*def``, ``format_type``, ``quote_ident``)
read while the source schema is the whole ``search_path``: names of the schema's own objects
come out unqualified, and run with the kitchen's schema as the ``search_path`` they name its
objects. Names elsewhere (``public``, ``pg_catalog``) stay qualified.

The statements are grouped as ``pg_restore`` orders them: what the rows need before they
arrive (types, sequences, tables and partitions, functions, defaults), then what is cheaper
built over rows already there (keys, indexes, side by side per table; foreign keys), then what
reads the rows (sequence positions, views, materialized views, triggers, comments).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kitchen.backends.warehouse.postgres.catalogue import (
    COLUMNS,
    COMMENTS,
    CONSTRAINTS,
    FUNCTIONS,
    INDEXES,
    KEY_ATTACHMENTS,
    MOVABLE,
    SEQUENCES,
    TABLES,
    TRIGGERS,
    TYPES,
    VIEWS,
)
from kitchen.backends.warehouse.sql import (
    Identifier,
    Placeholder,
    Query,
    quote_identifier,
    quote_literal,
    sql,
)

Execute = Callable[[Query, Sequence[object]], list[tuple[Any, ...]]]

STRUCTURE_SINCE = 120000  # pg_partition_root, generated columns, pretty schema-aware *def


@dataclass
class Structure:
    types: dict[str, str] = field(default_factory=dict)  # by name
    arrival: list[str] = field(default_factory=list)  # any order: keys come after the rows
    sequences: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)  # parents before their partitions
    functions: list[str] = field(default_factory=list)
    defaults: list[str] = field(default_factory=list)  # may call the functions
    parents: list[str] = field(default_factory=list)  # ONLY keys and indexes of partitioned
    per_table: dict[str, list[str]] = field(default_factory=dict)  # side by side
    attach: list[str] = field(default_factory=list)  # partition indexes, checks on parents
    foreign: list[str] = field(default_factory=list)  # one at a time, NOT VALID where it may
    validate: dict[str, list[str]] = field(default_factory=dict)  # then side by side per table
    after: list[str] = field(default_factory=list)  # sequences' positions .. comments
    left_out: list[str] = field(default_factory=list)  # said to the user, kept in the record
    loosened: list[str] = field(default_factory=list)  # masked domains, as their base types
    # routines whose own search_path names the copied schema (None in its place)
    search_paths: list[tuple[str, list[str | None]]] = field(default_factory=list)

    @property
    def before(self) -> list[str]:
        """What must stand before the rows arrive, in the order it is built."""
        return [*self.types.values(), *self.untyped]

    @property
    def untyped(self) -> list[str]:
        """``before`` but the types: what a refresh builds aside whatever its kitchen has."""
        return [*self.sequences, *self.tables, *self.functions, *self.defaults]


class Catalogue:
    """The source's catalogue, asked with the copied schema as the whole ``search_path``."""

    def __init__(self, execute: Execute, schema: str) -> None:
        self.execute, self.schema = execute, schema

    def ask(self, template: str, **values: object) -> list[tuple[Any, ...]]:
        """``template`` with each ``{name}`` a parameter taken from ``values``."""
        pieces = re.split(r"\{(\w+)\}", template)
        query = sql("{}".join(pieces[0::2]), *[Placeholder()] * len(pieces[1::2]))
        return self.execute(query, [values[name] for name in pieces[1::2]])


def read(
    catalogue: Catalogue, tables: Sequence[str], masked: Mapping[str, Collection[str]]
) -> Structure:
    """The structure of ``tables`` (and their partitions), of the types, sequences and
    functions of their schema, and of the views that read only what is copied. A ``masked``
    column of a domain type gets the type the domain constrains: the domain's checks
    describe the original values, which masking replaces."""
    plan, schema = Structure(arrival=list(tables)), catalogue.schema
    rows = catalogue.ask(TABLES, schema=schema, tables=list(tables))
    relations = {int(oid): str(name) for oid, name, *_ in rows}
    plan.types = types(catalogue)
    _sequences(catalogue, list(relations.values()), plan)
    _tables(catalogue, rows, plan, masked)
    _functions(catalogue, plan)
    _keys_and_indexes(catalogue, relations, plan)
    views = _views(catalogue, set(relations.values()), plan)
    plan.after += [text for _, text in catalogue.ask(TRIGGERS, oids=list(relations))]
    described = set(relations.values()) | views
    plan.after += [
        f"COMMENT ON {target} IS {quote_literal(text)}"
        for target, text, relation in catalogue.ask(COMMENTS, schema=schema)
        if target is not None and (relation is None or relation in described)
    ]
    return plan


def types(catalogue: Catalogue) -> dict[str, str]:
    """The schema's enum, domain, composite and range types: each one's statement by name,
    in an order they can be made in."""
    return {str(name): str(text) for name, text in catalogue.ask(TYPES, schema=catalogue.schema)}


def _sequences(catalogue: Catalogue, copied: list[str], plan: Structure) -> None:
    """Free sequences made before the tables (whose defaults call them); every sequence of
    a copied table set, after the rows, to where the source's stands."""
    for name, create, owned, identity_of in catalogue.ask(
        SEQUENCES, schema=catalogue.schema, tables=copied
    ):
        if identity_of is not None and identity_of not in copied:
            continue  # an identity of a table left out goes with it
        if identity_of is None:
            plan.sequences.append(str(create))
        if owned:
            plan.after.append(str(owned))
        plan.after.append(_position(catalogue, str(name)))


def _position(catalogue: Catalogue, sequence: str) -> str:
    ((value, called),) = catalogue.execute(
        sql("SELECT last_value, is_called FROM {}", Identifier(catalogue.schema, sequence)), []
    )
    return (
        f"SELECT pg_catalog.setval({quote_literal(quote_identifier(sequence))}, {int(value)}, "
        f"{'true' if called else 'false'})"
    )


def _tables(
    catalogue: Catalogue,
    rows: list[tuple[Any, ...]],
    plan: Structure,
    masked: Mapping[str, Collection[str]],
) -> None:
    columns: dict[int, list[str]] = {int(row[0]): [] for row in rows}
    names = {int(row[0]): str(row[1]) for row in rows}
    for oid, name, kind, base, rest, default, partition in catalogue.ask(
        COLUMNS, schema=catalogue.schema, oids=list(columns)
    ):
        table, typed = names[int(oid)], kind
        if base is not None and name in masked.get(table, ()):  # its checks fit the originals
            if not partition:
                plan.loosened.append(f"{table}.{name} ({kind} -> {base})")
            typed = base
        columns[int(oid)].append(f"{quote_identifier(name)} {typed}{rest}")
        if default and not partition:  # a partition takes its parent's
            plan.defaults.append(str(default))
    for oid, name, kind, parent, bound, key, unlogged, options, inherits in rows:
        text = f"CREATE {'UNLOGGED ' if unlogged else ''}TABLE {quote_identifier(name)}"
        if parent is not None and bound is not None:
            text += f" PARTITION OF {quote_identifier(parent)} {bound}"
        else:
            text += f" ({', '.join(columns[int(oid)])})"
            text += f" INHERITS ({', '.join(inherits)})" if inherits else ""
        text += f" PARTITION BY {key}" if kind == "p" else ""
        text += f" WITH ({options})" if options else ""
        plan.tables.append(text)


def _functions(catalogue: Catalogue, plan: Structure) -> None:
    """Functions and procedures as pg_get_functiondef writes them, but for the schema of
    their name, which it always writes; one whose own ``search_path`` names the copied
    schema is pointed at the kitchen's once it is built."""
    for qualified, name, kind, definition, signature, path in catalogue.ask(
        FUNCTIONS, schema=catalogue.schema
    ):
        head, text = f"CREATE OR REPLACE {kind} {qualified}(", str(definition).strip()
        if text.startswith(head):
            text = f"CREATE OR REPLACE {kind} {name}(" + text[len(head) :]
        plan.functions.append(text)
        elements = [part.strip() for part in str(path or "").split(",") if part.strip()]
        if any(part.strip('"') == catalogue.schema for part in elements):
            plan.search_paths.append(
                (
                    str(signature),
                    [None if part.strip('"') == catalogue.schema else part for part in elements],
                )
            )


def search_path_statements(plan: Structure, kitchen: str) -> list[str]:
    """``ALTER ROUTINE ... SET search_path`` for each routine whose own search path names the
    copied schema, naming ``kitchen`` there instead: else the kitchen's function would read
    its parent's tables."""
    return [
        f"ALTER ROUTINE {signature} SET search_path TO "
        + ", ".join(quote_identifier(kitchen) if part is None else part for part in elements)
        for signature, elements in plan.search_paths
    ]


def _keys_and_indexes(catalogue: Catalogue, relations: dict[int, str], plan: Structure) -> None:
    oids, copied = list(relations), set(relations.values())
    for oid, kind, contype, text, referenced, name, valid in catalogue.ask(CONSTRAINTS, oids=oids):
        table = relations[int(oid)]
        if contype == "f" and referenced not in copied:
            plan.left_out.append(f"the foreign key of {table} to {referenced}, not copied")
        elif contype == "f" and kind == "p":  # on every partition too; NOT VALID may not
            plan.foreign.append(str(text).replace("ALTER TABLE ONLY ", "ALTER TABLE ", 1))
        elif contype == "f" and not valid:  # the parent's says NOT VALID itself: as it is
            plan.foreign.append(str(text))
        elif contype == "f":  # added without a scan, checked side by side after
            plan.foreign.append(f"{text} NOT VALID")
            plan.validate.setdefault(table, []).append(
                f"ALTER TABLE ONLY {quote_identifier(table)} VALIDATE CONSTRAINT "
                + quote_identifier(str(name))
            )
        elif kind == "p" and contype == "c":  # on a partitioned table: checks every partition
            plan.attach.append(str(text).replace("ALTER TABLE ONLY ", "ALTER TABLE ", 1))
        elif kind == "p":
            plan.parents.append(str(text))
        else:
            plan.per_table.setdefault(table, []).append(str(text))
    attachments = [str(text) for (text,) in catalogue.ask(KEY_ATTACHMENTS, oids=oids)]
    for oid, kind, text, attach in catalogue.ask(INDEXES, oids=oids):
        if kind == "p":
            plan.parents.append(str(text))  # ON ONLY: its partitions' are attached
        else:
            plan.per_table.setdefault(relations[int(oid)], []).append(str(text))
        if attach:
            attachments.append(str(attach))
    plan.attach[:0] = attachments


def _views(catalogue: Catalogue, copied: set[str], plan: Structure) -> set[str]:
    """Views and materialized views, each after those it reads, with their indexes and
    triggers; one reading a table the copy leaves out is left out with it."""
    built: set[str] = set()
    for oid, name, text, reads in catalogue.ask(VIEWS, schema=catalogue.schema):
        if missing := [table for table in reads if table not in copied | built]:
            plan.left_out.append(f"the view {name}, which reads {', '.join(missing)}")
            continue
        built.add(str(name))
        plan.after.append(str(text))
        plan.after += [str(index) for _, _, index, _ in catalogue.ask(INDEXES, oids=[oid])]
        plan.after += [str(trigger) for _, trigger in catalogue.ask(TRIGGERS, oids=[oid])]
    return built


def movable(catalogue: Catalogue) -> list[tuple[str, str, str, bool, bool]]:
    """The schema's routines, types, free sequences, tables (partitions each), views and
    materialized views, in the order they can be moved to another schema: the keyword of
    their ALTER and DROP statements, name, identity (schema-qualified, a routine's with its
    argument types) as PostgreSQL quotes it, whether a type owns it, and whether the
    session's user does."""
    return [
        (str(keyword), str(name), str(identity), bool(owned), bool(mine))
        for _, keyword, name, identity, owned, mine in catalogue.ask(
            MOVABLE, schema=catalogue.schema
        )
    ]
