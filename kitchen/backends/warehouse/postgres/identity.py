"""A login per kitchen on PostgreSQL: made with a SCRAM verifier (the password never reaches the
server's logs), granted its schema and what it may read, handed its tables, dropped with it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Collection, Sequence

from kitchen import redaction
from kitchen.backends.warehouse.base import Readable
from kitchen.backends.warehouse.postgres import structure as pg_structure
from kitchen.backends.warehouse.postgres.catalog import PostgresCatalog
from kitchen.backends.warehouse.sql import (
    Identifier,
    Literal,
    Placeholder,
    Query,
    sql,
)
from kitchen.errors import PreconditionFailed

OPEN_RIGHTS = ("CONNECT", "TEMPORARY", "CREATE")  # on a database, as PUBLIC may hold them


GRANTS_LOCK = 7_164_117_105  # an advisory lock key of kitchen's own: grants, one at a time


TABLE_RIGHTS = "SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER"


def login_name(database: str, environment: str, schema: str) -> str:
    """A kitchen's login role: role names are global to a server, so the name is unique to
    the database, environment and schema, through a digest of the three (also where the
    readable part is cut to fit PostgreSQL's 63 characters)."""
    digest = hashlib.sha256("\0".join((database, environment, schema)).encode()).hexdigest()
    return f"{f'kitchen_{environment}_{schema}'[:52]}_{digest[:10]}"


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for ``password`` (RFC 5802, 7677).

    CREATE ROLE takes no parameters, so kitchen sends the verifier: the password itself
    never appears in SQL text or the server's logs.
    """
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    salt64, stored64, server64 = (
        base64.b64encode(raw).decode() for raw in (salt, stored_key, server_key)
    )
    return f"SCRAM-SHA-256${iterations}:{salt64}${stored64}:{server64}"


class PostgresIdentities(PostgresCatalog):
    """``PostgresWarehouse``'s logins per kitchen."""

    def identity_names(self, schema: str) -> list[str]:
        """The names the login of ``schema``'s kitchen may have: its own, then the one
        kitchen gave logins before they were recorded, which older kitchens still have."""
        if self._database is None:
            self._database = str(self.execute(sql("SELECT current_database()"))[0][0])
        legacy = f"kitchen_{self.environment}_{schema}"[:63]
        return [login_name(self._database, self.environment, schema), legacy]

    def create_identity(
        self,
        schema: str,
        read: Sequence[Readable],
        *,
        ours: Collection[str] = (),
        record: Callable[[str], None] | None = None,
    ) -> tuple[str, str] | None:
        """A role that exists already is taken over (a new password) only when it is one of
        ``ours``, recorded as made for this kitchen (a create that crashed made it); any
        other is another's, and refused. ``record`` notes the name before the role is made."""
        if not self.settings.kitchen_roles:
            return None
        role, password = (
            self.identity_names(schema)[0],
            redaction.remember(secrets.token_urlsafe(24)),
        )
        verifier = Literal(scram_verifier(password))
        with self.transaction():
            if not self._role_exists(role):
                if record is not None and role not in ours:
                    record(role)
                self.execute(sql("CREATE ROLE {} LOGIN PASSWORD {}", Identifier(role), verifier))
                self._join(role)
            elif role in ours:
                self.execute(sql("ALTER ROLE {} LOGIN PASSWORD {}", Identifier(role), verifier))
            else:
                raise PreconditionFailed(
                    f"The {self.environment} server has a role {role} that kitchen did not "
                    f"make for this kitchen: it will not take it over as {schema}'s login.",
                    hint="Ask the server's administrator whose it is; drop it if it is "
                    "nobody's, or give the kitchen another name.",
                )
            self.grant_identity(role, schema, read)
        return role, password

    def grant_identity(self, role: str, schema: str, read: Sequence[Readable]) -> None:
        if not self.settings.kitchen_roles or not self._role_exists(role):
            return
        who, own = Identifier(role), Identifier(schema)
        with self.transaction():
            self._one_grant_at_a_time()
            database = self.execute(sql("SELECT current_database()"))[0][0]
            # TEMPORARY: dbt's incremental models and snapshots build in temporary tables
            self.execute(
                sql("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}", Identifier(database), who)
            )
            self.execute(sql("GRANT USAGE, CREATE ON SCHEMA {} TO {}", own, who))
            self.execute(
                sql(f"GRANT {TABLE_RIGHTS} ON ALL TABLES IN SCHEMA {{}} TO {{}}", own, who)
            )
            self.execute(sql("GRANT ALL ON ALL SEQUENCES IN SCHEMA {} TO {}", own, who))
            later = (
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {{}} GRANT {TABLE_RIGHTS} ON TABLES TO {{}}"
            )
            self.execute(sql(later, own, who))  # tables kitchen makes there later (a refresh)
            for other in read:
                self._grant_reading(other, who)
            self._hand_over(schema, role)

    def _grant_reading(self, other: Readable, who: Identifier) -> None:
        self.execute(sql("GRANT USAGE ON SCHEMA {} TO {}", Identifier(other.schema), who))
        if other.tables is not None:  # a views kitchen's origins, and nothing else there
            for table in other.tables:
                origin = self.table(other.schema, table)
                self.execute(sql("GRANT SELECT ON {} TO {}", origin, who))
            return
        for kind in ("TABLES", "SEQUENCES"):  # views come with tables
            self.execute(
                sql(
                    f"GRANT SELECT ON ALL {kind} IN SCHEMA {{}} TO {{}}",
                    Identifier(other.schema),
                    who,
                )
            )

    def _hand_over(self, schema: str, role: str) -> None:
        """Make ``role`` the owner of what kitchen's login owns in ``schema``: tables,
        views, sequences, routines and types came in as kitchen's (those a parent's pipeline
        built too), and the kitchen's pipelines, run as its login, could not replace them
        ("must be owner of table stg_orders"). kitchen, a member of the role, still may
        drop them. A range's multirange too; its constructors are PostgreSQL's own (the
        bootstrap superuser's), not kitchen's, and stay so."""
        found = pg_structure.movable(pg_structure.Catalogue(self.execute, schema))
        for keyword, _, identity, _, mine in found:
            if mine:
                self.execute(
                    sql(
                        f"ALTER {keyword} {{}} OWNER TO {{}}",
                        Query((identity,)),
                        Identifier(role),
                    )
                )

    def drop_identity(self, role: str) -> None:
        if not self._role_exists(role):
            return
        with self.transaction():
            self._one_grant_at_a_time()  # its grants on the database and parent go too
            self._join(role)  # a login made before kitchen joined the roles it makes
            self.execute(sql("DROP OWNED BY {}", Identifier(role)))  # its objects and grants
            self.execute(sql("DROP ROLE {}", Identifier(role)))

    def _one_grant_at_a_time(self) -> None:
        """Until the transaction ends, no other kitchen grants or revokes here: GRANTs and
        REVOKEs of two creates or deletes on one database or parent schema update one
        catalogue row, and one failed "tuple concurrently updated"."""
        self.execute(sql("SELECT pg_advisory_xact_lock({})", Literal(GRANTS_LOCK)))

    def _join(self, role: str) -> None:
        """Make kitchen's login a member of ``role``: without it, a login that is no
        superuser may not ``DROP OWNED BY`` the role ("permission denied to drop objects"),
        and delete, gc and repair stopped half-way. A superuser needs none."""
        if not self.execute(sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))[0][
            0
        ]:
            self.execute(sql("GRANT {} TO CURRENT_USER", Identifier(role)))

    def list_identities(self) -> list[str]:
        """Roles named like this environment's kitchen logins that were granted this
        database (the server may have others', for other databases)."""
        prefix = f"kitchen_{self.environment}_"
        rows = self.execute(
            sql(
                "SELECT r.rolname FROM pg_roles r WHERE left(r.rolname, {}) = {} AND EXISTS ("
                " SELECT 1 FROM pg_database d, aclexplode(d.datacl) a"
                " WHERE d.datname = current_database() AND a.grantee = r.oid)",
                Placeholder(),
                Placeholder(),
            ),
            [len(prefix), prefix],
        )
        return sorted(str(row[0]) for row in rows)

    def open_to_all(self) -> tuple[str, list[str]]:
        """PostgreSQL gives PUBLIC CONNECT and TEMPORARY on every new database: any
        kitchen's login of the server could enter this one, and make tables there."""
        asked = ", ".join(
            f"has_database_privilege('public', current_database(), '{right}')"
            for right in OPEN_RIGHTS
        )
        ((database, *held),) = self.execute(Query((f"SELECT current_database(), {asked}",)))
        return str(database), [right for right, on in zip(OPEN_RIGHTS, held, strict=True) if on]

    def _role_exists(self, role: str) -> bool:
        found = self.execute(
            sql("SELECT 1 FROM pg_roles WHERE rolname = {}", Placeholder()), [role]
        )
        return bool(found)
