"""A PostgreSQL warehouse's connection: opening it (and naming the server that refused), running
queries composed through ``psycopg.sql`` with values as parameters, errors mapped to kitchen's,
the masking salt bound to the session, and what clients (dbt, scripts) are given to connect."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Self

import psycopg
from psycopg import sql as pgsql
from psycopg.abc import Buffer
from psycopg.adapt import Loader
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.datetime import DateLoader, IntervalLoader, TimestampLoader, TimestamptzLoader

from kitchen.backends.warehouse.base import Warehouse
from kitchen.backends.warehouse.dialect import Dialect
from kitchen.backends.warehouse.sql import (
    Identifier,
    Literal,
    Placeholder,
    Query,
    SourceTable,
    join,
    quote_identifier,
    quote_literal,
    sql,
)
from kitchen.backends.warehouse.sqlbase import SqlWarehouse
from kitchen.errors import ConfigError, WarehouseError, WarehouseUnreachable

if TYPE_CHECKING:
    from kitchen import config


log = logging.getLogger(__name__)


CONNECT_TIMEOUT = 10


# lock_timeout, relispopulated (and aclexplode, 9.0): PostgreSQL 9.3. Redshift says 8.0.2;
# there the swap and the drop wait as before, and views and grants are left as they are.
CATALOGUE_SINCE = 90300


LOCK_NOT_AVAILABLE, DEPENDENT_OBJECTS = "55P03", "2BP01"  # SQLSTATEs


def _tolerant(loader: type[Loader]) -> type[Loader]:
    """``loader``, but a value Python's types cannot hold ('infinity', a date BC or past year
    9999, an interval over 999,999,999 days) is read as PostgreSQL writes it: a preview or a
    scan of an SCD table (valid_to = 'infinity') reads it instead of failing."""

    class Tolerant(loader):  # type: ignore[valid-type,misc]
        def load(self, data: Buffer) -> Any:
            try:
                return super().load(data)
            except psycopg.DataError:
                return bytes(data).decode()

    return Tolerant


TOLERANT_LOADERS = {
    "date": _tolerant(DateLoader),
    "timestamp": _tolerant(TimestampLoader),
    "timestamptz": _tolerant(TimestamptzLoader),
    "interval": _tolerant(IntervalLoader),
}


def compose(query: Query, escape_percent: bool) -> pgsql.Composed:
    """Our query parts, one to one as psycopg.sql parts. With parameters, psycopg reads
    every ``%`` of the text as a placeholder's, within quotes too: a table named ``a%sb``
    made the query's placeholders outnumber its parameters. There names and constants
    holding one are written out, their ``%`` doubled."""
    parts: list[pgsql.Composable] = []
    for part in query.parts:
        if isinstance(part, Identifier):
            if escape_percent and any("%" in name for name in part.parts):
                quoted = ".".join(quote_identifier(name) for name in part.parts)
                parts.append(pgsql.SQL(quoted.replace("%", "%%")))
            else:
                parts.append(pgsql.Identifier(*part.parts))
        elif isinstance(part, Placeholder):
            parts.append(pgsql.Placeholder())
        elif isinstance(part, Literal):
            if escape_percent and "%" in str(part.value):
                parts.append(pgsql.SQL(quote_literal(part.value).replace("%", "%%")))
            else:
                parts.append(pgsql.Literal(part.value))
        elif isinstance(part, SourceTable):
            raise ValueError(f"unresolved source table {part.table!r}: resolve_sources first")
        else:
            parts.append(pgsql.SQL(part.replace("%", "%%") if escape_percent else part))
    return pgsql.Composed(parts)


class PostgresConnection(SqlWarehouse):
    """The connection half of ``PostgresWarehouse``."""

    dialect = Dialect("postgres")
    views_hold_tables = True  # a view is bound to its tables: DROP TABLE refuses

    def __init__(
        self, settings: config.PostgresWarehouse, environment: str, part: str = "warehouse"
    ) -> None:
        self.environment = environment
        self.part = part  # what it is to the environment: its warehouse, or its registry
        self.settings = settings
        fields = {
            "host": settings.host,
            "port": settings.port if settings.host or not settings.dsn else None,
            "dbname": settings.dbname,
            "user": settings.user,
            "password": settings.password,
            "sslmode": settings.sslmode,
        }
        where = f"environments.{environment}.{part}"
        given = {key: value for key, value in fields.items() if value is not None}
        try:
            self._conninfo = make_conninfo(settings.dsn or "", **given)
        except psycopg.ProgrammingError:
            raise ConfigError(f"{where}.dsn: not a valid PostgreSQL connection string.") from None
        self._connection: psycopg.Connection[Any] | None = None
        self._salt: str | None = None  # set again on every connection this opens for work
        self._fast_hash: bool | None = None  # whether the server has hashtextextended
        self._snapshot: str | None = None  # what copies out of here read as of (snapshot())
        self._beside: dict[str, str] = {}  # a refresh's staging schema: its kitchen's (types)
        self._database: str | None = None  # the database's name, once asked

    @property
    def address(self) -> tuple[str, str, str]:
        """(host, port, database): where the server is, without credentials."""
        params = conninfo_to_dict(self._conninfo)
        return (
            str(params.get("host") or "localhost"),
            str(params.get("port") or "5432"),
            str(params.get("dbname") or params.get("user") or ""),
        )

    @property
    def location(self) -> str:
        host, port, database = self.address
        return f"PostgreSQL at {host}:{port}, database {database}"

    @property
    def connection(self) -> psycopg.Connection[Any]:
        if self._connection is None:
            try:
                self._connection = psycopg.connect(
                    self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT
                )
            except psycopg.OperationalError as exc:
                raise WarehouseUnreachable(
                    f"Cannot connect to the {self.environment} {self.part} ({self.location}): "
                    f"{self._reason(exc)}",
                    hint="Check that the server runs and accepts connections, and the "
                    f"credentials in environments.{self.environment}.{self.part}.",
                ) from None
            for name, loader in TOLERANT_LOADERS.items():
                self._connection.adapters.register_loader(name, loader)
            if self._salt is not None:  # a new session: bind the salt again
                self._bind_salt()
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def qualify(self, *names: str) -> Identifier:
        return Identifier(*names)

    def execute(self, query: Query, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        statement = compose(query, escape_percent=bool(params))
        if log.isEnabledFor(logging.DEBUG):  # the statement only, never its values
            log.debug("%s: %s", self.environment, statement.as_string(self.connection))
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(statement, list(params) if params else None)
                return cursor.fetchall() if cursor.description else []
        except psycopg.Error as exc:
            if self._lost(exc):
                self.close()
                raise WarehouseUnreachable(
                    f"Lost the {self.environment} {self.part} ({self.location}): "
                    + self._reason(exc)
                ) from None
            reason = self._reason(exc)
            position = exc.diag.statement_position  # a character of the statement, from 1
            raise WarehouseError(
                f"The {self.environment} {self.part} refused a statement: {reason}",
                reason=reason,
                code=exc.sqlstate or "",
                line=statement.as_string(self._connection).count("\n", 0, int(position) - 1) + 1
                if position
                else None,
            ) from None

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.closed

    @property
    def salt_sql(self) -> Query:
        return sql("current_setting('kitchen.salt')")

    def bytewise(self, text: Query) -> Query:
        return sql('({} COLLATE "C")', text)

    def set_salt(self, salt: str) -> None:
        """Bound to the session (when it opens, if it is not open yet) and to every later
        one: reconnections and the sessions of ``concurrently``."""
        self._salt = salt
        if self.connected:
            self._bind_salt()

    def _bind_salt(self) -> None:
        """Sent as a row of COPY, which the server's log never holds: with
        ``log_statement = all`` a statement's parameters are logged with it. Servers without
        COPY FROM STDIN (Redshift) get it as a parameter."""
        salt = Identifier("pg_temp", "kitchen_salt")
        try:
            with self.transaction():
                self.execute(sql("CREATE TEMPORARY TABLE {} (salt text)", salt))
                with self.connection.cursor() as cursor:
                    statement = pgsql.SQL("COPY {} FROM STDIN").format(
                        compose(sql("{}", salt), False)
                    )
                    with cursor.copy(statement) as copy:
                        copy.write_row((self._salt,))
                self.execute(sql("SELECT set_config('kitchen.salt', salt, false) FROM {}", salt))
                self.execute(sql("DROP TABLE {}", salt))
        except psycopg.errors.FeatureNotSupported:
            self.execute(
                sql("SELECT set_config('kitchen.salt', {}, false)", Placeholder()), [self._salt]
            )

    def _peer(self, source: Warehouse) -> Self:
        """The source of a copy: another PostgreSQL."""
        if not isinstance(source, type(self)):
            raise WarehouseError(
                f"Cannot copy from {source.location} into {self.location}.",
                hint="Both environments must use the same warehouse type.",
            )
        return source

    def _twin(self) -> Self:
        """Another session (opened on first use) on the same database, with the same salt."""
        twin = type(self)(self.settings, self.environment, self.part)
        twin._conninfo, twin._salt, twin._snapshot = self._conninfo, self._salt, self._snapshot
        twin._beside = self._beside
        return twin

    @contextmanager
    def _as_of(self, snapshot: str | None) -> Iterator[None]:
        """A transaction that sees the database as ``snapshot`` (exported) does."""
        if snapshot is None:
            yield
            return
        with self.transaction():
            self.execute(sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            self.execute(sql("SET TRANSACTION SNAPSHOT {}", Literal(snapshot)))
            yield

    def _cancel(self) -> None:
        """Stop the statement this session is running, if any (from another thread)."""
        connection = self._connection
        if connection is not None and not connection.closed:
            try:
                connection.cancel_safe(timeout=CONNECT_TIMEOUT)
            except psycopg.Error:  # the server is going away: nothing left to stop
                log.debug("%s: could not cancel a statement", self.environment)

    def hash_int(self, hex_digest: Query) -> Query:
        return sql("('x' || substr({}, 1, 7))::bit(28)::int", hex_digest)

    def fingerprint(self, text: Query, seed: int) -> Query:
        """``hashtextextended`` (PostgreSQL 11+) costs a tenth of md5, and a sample's hash
        need not be secret; servers without it (Redshift) sample by md5."""
        if not self._has_fast_hash():
            return super().fingerprint(text, seed)
        return sql("hashtextextended({}, {})", text, Literal(seed % 2**63))

    def bucket(self, fingerprint: Query, buckets: int) -> Query:
        if not self._has_fast_hash():
            return super().bucket(fingerprint, buckets)
        low = sql("({} & CAST(2147483647 AS BIGINT))", fingerprint)  # non-negative
        return sql("({} % {})", low, Literal(buckets))

    def _has_fast_hash(self) -> bool:
        if self._fast_hash is None:
            found = self.execute(
                sql("SELECT count(*) FROM pg_catalog.pg_proc WHERE proname = 'hashtextextended'")
            )
            self._fast_hash = bool(found[0][0])
        return self._fast_hash

    @contextmanager
    def _search_path(self, schema: str) -> Iterator[None]:
        """``schema`` and, for a refresh's staging schema, its kitchen's (whose types it
        uses): where names that the catalogue wrote unqualified resolve."""
        with self.transaction():
            path = [Identifier(name) for name in (schema, self._beside.get(schema)) if name]
            self.execute(sql("SET LOCAL search_path TO {}", join(", ", path)))
            yield

    def client_environment(self, schema: str) -> dict[str, str]:
        """libpq's own variables, so psql, dbt and any driver connect as kitchen does."""
        params = conninfo_to_dict(self._conninfo)
        names = {
            "host": "PGHOST",
            "port": "PGPORT",
            "dbname": "PGDATABASE",
            "user": "PGUSER",
            "password": "PGPASSWORD",
            "sslmode": "PGSSLMODE",
        }
        found = {names[key]: str(value) for key, value in params.items() if key in names and value}
        return {**found, "PGOPTIONS": f"-c search_path={schema}"}

    def dbt_output(self) -> dict[str, object]:
        return {  # dbt-postgres, as libpq's variables say (the kitchen's own login's)
            "type": "postgres",
            "host": "{{ env_var('PGHOST', 'localhost') }}",
            "port": "{{ env_var('PGPORT', '5432') | as_number }}",
            "user": "{{ env_var('PGUSER') }}",
            "password": "{{ env_var('PGPASSWORD', '') }}",
            "dbname": "{{ env_var('PGDATABASE') }}",
            "schema": "{{ env_var('KITCHEN_SCHEMA') }}",
            "sslmode": "{{ env_var('PGSSLMODE', 'prefer') }}",
            "threads": self.settings.threads,
        }

    def run_script(self, schema: str, script: str) -> list[tuple[Any, ...]]:
        with self.transaction():
            self.execute(sql("SET LOCAL search_path TO {}", Identifier(schema)))
            return self.execute(Query((script,)))

    def _me(self) -> str:
        return str(self.execute(sql("SELECT current_user"))[0][0])

    @property
    def _modern(self) -> bool:
        return bool(self.connection.info.server_version >= CATALOGUE_SINCE)

    def _lost(self, exc: psycopg.Error) -> bool:
        """The connection is gone, not merely the statement refused: psycopg counts a lock
        timeout (55P03) or a cancelled statement as operational errors too."""
        if not isinstance(exc, psycopg.OperationalError):
            return False
        connection, state = self._connection, exc.sqlstate or ""
        return (
            connection is None
            or connection.broken
            or connection.closed
            or not state
            or state.startswith(("08", "57P"))  # connection exception, server shutting down
        )

    def _reason(self, exc: psycopg.Error) -> str:
        """The server's first line, with the password scrubbed should it ever appear. What
        depends on an object that could not be dropped comes along (other errors' details
        may quote the rows' values)."""
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if exc.sqlstate == DEPENDENT_OBJECTS and exc.diag.message_detail:
            text += f" ({'; '.join(exc.diag.message_detail.splitlines()[:3])})"
        password = conninfo_to_dict(self._conninfo).get("password")
        return text.replace(str(password), "***") if password else text
