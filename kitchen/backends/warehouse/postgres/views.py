"""Views on PostgreSQL that a refresh must keep: those built on the tables it replaces, read
from the catalogue with their options, owner, comment, grants, indexes, triggers and rules,
and built again on the new tables as they were; and views elsewhere that read a schema."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kitchen.backends.warehouse.postgres.identity import PostgresIdentities
from kitchen.backends.warehouse.sql import (
    Identifier,
    Literal,
    Placeholder,
    Query,
    sql,
)
from kitchen.errors import PreconditionFailed, WarehouseError

SET_OPTION_SINCE = 160000  # GRANT ... WITH SET: acting as a role, apart from membership


# the rights on a table, view or sequence, as aclexplode names them
RIGHTS = frozenset(
    {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "MAINTAIN"}
    | {"USAGE"}  # a sequence's
)


@dataclass(frozen=True)
class Grant:
    grantee: str  # a role, or PUBLIC
    right: str
    grantable: bool


@dataclass(frozen=True)
class View:
    """A view or materialized view built on tables that a refresh replaces, as the
    catalogue describes it: what it takes to build it again on the new tables."""

    name: Identifier
    kind: str  # VIEW or MATERIALIZED VIEW
    populated: bool
    definition: str
    options: list[str]  # reloptions: security_barrier=true, check_option=local
    owner: str
    comment: str | None
    grants: list[Grant]
    extras: list[str]  # its indexes, triggers and rules, as PostgreSQL writes them


def granting(name: Identifier, grants: Sequence[Grant], kind: str = "TABLE") -> list[Query]:
    """``kind``: SEQUENCE for a sequence (its USAGE has no TABLE form); TABLE otherwise,
    which views take too."""
    kind = "SEQUENCE" if kind == "SEQUENCE" else "TABLE"
    statements = []
    for grant in grants:
        if grant.right not in RIGHTS:  # it is written into the statement
            continue
        to = sql("PUBLIC") if grant.grantee == "PUBLIC" else sql("{}", Identifier(grant.grantee))
        option = " WITH GRANT OPTION" if grant.grantable else ""
        statements.append(sql(f"GRANT {grant.right} ON {kind} {{}} TO {{}}{option}", name, to))
    return statements


class PostgresViews(PostgresIdentities):
    """``PostgresWarehouse``'s views built on a kitchen's tables."""

    def _may_build(self, views: Sequence[View], me: str) -> None:
        """Refuse, before anything changes, to replace tables that views of a role kitchen's
        login (``me``) is no member of are built on: each is built again as its owner's, and
        PostgreSQL stopped the swap half-way with "must be member of role"."""
        right = "SET" if self.connection.info.server_version >= SET_OPTION_SINCE else "MEMBER"
        for view in (view for view in views if view.owner != me):
            allowed = self.execute(
                sql(f"SELECT pg_has_role(current_user, {{}}, '{right}')", Placeholder()),
                [view.owner],
            )
            if not allowed[0][0]:
                shown = ".".join(view.name.parts)
                raise PreconditionFailed(
                    f"The view {shown} is {view.owner}'s, built on tables this would replace, "
                    f"and kitchen's login may not act as {view.owner} to build it again.",
                    hint=f"Ask the server's administrator to `GRANT {view.owner} TO "
                    f"{me}` (or drop the view), then run this again; nothing changed.",
                )

    def outside_readers(self, schema: str) -> list[str]:
        """Views of other schemas built on ``schema``'s tables or views, directly or through
        other views: dropping the schema with CASCADE takes them too."""
        if not self._modern:
            return []
        return [f"{space}.{name}" for _, space, name in self._built_on(schema) if space != schema]

    def _views_on(self, schema: str, tables: Sequence[str]) -> list[View]:
        """The views and materialized views built on ``tables``, directly or through other
        views, each after those it reads."""
        if not self._modern:
            return []
        return [self._view(oid) for oid, _, _ in self._built_on(schema, tables)]

    def _built_on(
        self, schema: str, tables: Sequence[str] | None = None
    ) -> list[tuple[int, str, str]]:
        """The views built on ``tables`` of ``schema`` (None: on any of its relations), as
        oid, schema and name, each after the views it reads."""
        return self.execute(
            sql(
                "WITH RECURSIVE built(oid, depth) AS ("
                " SELECT r.ev_class, 1 FROM pg_depend d"
                " JOIN pg_rewrite r ON r.oid = d.objid"
                " JOIN pg_class t ON t.oid = d.refobjid"
                " JOIN pg_namespace n ON n.oid = t.relnamespace"
                " WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass"
                " AND n.nspname = {} AND (t.relname = ANY({}) OR {}) AND r.ev_class <> t.oid"
                " UNION SELECT r.ev_class, b.depth + 1 FROM built b"
                " JOIN pg_depend d ON d.refobjid = b.oid"
                " JOIN pg_rewrite r ON r.oid = d.objid"
                " WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass"
                " AND r.ev_class <> b.oid)"
                " SELECT c.oid, n.nspname, c.relname"
                " FROM (SELECT oid, max(depth) AS depth FROM built GROUP BY oid) b"
                " JOIN pg_class c ON c.oid = b.oid JOIN pg_namespace n ON n.oid = c.relnamespace"
                " ORDER BY b.depth, c.oid",
                Placeholder(),
                Placeholder(),
                Placeholder(),
            ),
            [schema, list(tables or ()), tables is None],
        )

    def _view(self, oid: int) -> View:
        """What it takes to build a view again: PostgreSQL's own SQL for its definition,
        indexes (a materialized view's), triggers and rules, and its options, owner,
        comment and grants."""
        ((space, name, kind, populated, definition, options, owner, comment),) = self.execute(
            sql(
                "SELECT n.nspname, c.relname, c.relkind, c.relispopulated,"
                " pg_get_viewdef(c.oid), coalesce(c.reloptions, ARRAY[]::text[]),"
                " pg_get_userbyid(c.relowner), obj_description(c.oid, 'pg_class')"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.oid = {}",
                Placeholder(),
            ),
            [oid],
        )
        extras = self.execute(
            sql(
                "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = {}"
                " UNION ALL SELECT pg_get_triggerdef(oid) FROM pg_trigger"
                " WHERE tgrelid = {} AND NOT tgisinternal"
                " UNION ALL SELECT pg_get_ruledef(oid) FROM pg_rewrite"
                " WHERE ev_class = {} AND rulename <> '_RETURN'",
                Placeholder(),
                Placeholder(),
                Placeholder(),
            ),
            [oid, oid, oid],
        )
        return View(
            Identifier(space, name),
            "MATERIALIZED VIEW" if kind == "m" else "VIEW",
            populated,
            definition.strip().rstrip(";"),
            list(options),
            owner,
            comment,
            self._grants(space, name),
            [text for (text,) in extras],
        )

    def _grants(self, schema: str, name: str) -> list[Grant]:
        """What the owner of table or view ``name`` granted others on it."""
        if not self._modern:
            return []
        rows = self.execute(
            sql(
                "SELECT coalesce(pg_get_userbyid(nullif(a.grantee, 0)), 'PUBLIC'),"
                " a.privilege_type, a.is_grantable FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a"
                " WHERE n.nspname = {} AND c.relname = {} AND a.grantee <> c.relowner",
                Placeholder(),
                Placeholder(),
            ),
            [schema, name],
        )
        return [Grant(str(grantee), str(right), bool(option)) for grantee, right, option in rows]

    def _build(self, view: View, schema: str, me: str) -> None:
        """Create ``view`` again as it was (``me``: the role creating it, which owns it
        unless told otherwise). The SQL is PostgreSQL's own (pg_get_viewdef and the like),
        so its identifiers arrive quoted by PostgreSQL."""
        options = f" WITH ({', '.join(view.options)})" if view.options else ""
        data = "" if view.kind == "VIEW" else " WITH DATA" if view.populated else " WITH NO DATA"
        create = sql(f"CREATE {view.kind} {{}}{options} AS ", view.name)
        statements = [
            Query((*create.parts, view.definition, data)),
            *(Query((text,)) for text in view.extras),
        ]
        if view.owner != me:
            statements.append(
                sql(f"ALTER {view.kind} {{}} OWNER TO {{}}", view.name, Identifier(view.owner))
            )
        if view.comment is not None:
            statements.append(
                sql(f"COMMENT ON {view.kind} {{}} IS {{}}", view.name, Literal(view.comment))
            )
        statements += granting(view.name, view.grants)
        try:
            for statement in statements:
                self.execute(statement)
        except WarehouseError as exc:
            shown = ".".join(view.name.parts)
            raise WarehouseError(
                f"Refreshing {schema} would break the view {shown}: {exc.reason}",
                "Change or drop that view, then refresh again; the kitchen's data is as it was.",
            ) from None
