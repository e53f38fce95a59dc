"""A Spark Connect session for the adapter: the server asked once whether it listens (pyspark
would retry an unreachable one for minutes), the token passed as the URL's parameter, the
session's time zone UTC, and pyspark's own logging of failed plans (values and all) silenced."""

from __future__ import annotations

import logging
import re
import socket
from typing import TYPE_CHECKING

from kitchen.errors import WarehouseUnreachable

if TYPE_CHECKING:
    from pyspark.sql.connect.session import SparkSession

    from kitchen import config

CONNECT_TIMEOUT = 10  # seconds


def connect(
    settings: config.SparkWarehouse, environment: str, part: str, location: str
) -> SparkSession:
    """A Spark Connect session to ``settings.url`` in UTC. One that cannot be reached is
    said at once (pyspark would retry for minutes), as the ``environment``'s ``part``
    (warehouse, registry) at ``location``."""
    import warnings

    with warnings.catch_warnings():  # pyspark warns about pandas versions on import
        warnings.simplefilter("ignore")
        from pyspark.sql.connect.session import SparkSession

    # pyspark logs each failed statement's whole plan (values and all) to stderr, beside
    # the error kitchen raises: kitchen says what failed, once, scrubbed
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL + 1)
    host, _, port = settings.url.removeprefix("sc://").split("/")[0].rpartition(":")
    try:  # pyspark retries an unreachable server for minutes: asked once, here
        socket.create_connection((host or "localhost", int(port or 15002)), CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise WarehouseUnreachable(
            f"Cannot connect to the {environment} {part} ({location}): {exc.strerror or exc}",
            hint="Check that the Spark Connect server runs, and the url in "
            f"environments.{environment}.{part}.",
        ) from None
    try:
        session = SparkSession.builder.remote(url(settings)).create()
        session.sql("SET spark.sql.session.timeZone = UTC").collect()
    except Exception as exc:  # grpc's, pyspark's: the server cannot be reached
        raise WarehouseUnreachable(
            f"Cannot connect to the {environment} {part} ({location}): {first_line(exc)}",
            hint="Check that the Spark Connect server runs and the url and token in "
            f"environments.{environment}.{part}.",
        ) from None
    return session


def url(settings: config.SparkWarehouse) -> str:
    """The Connect URL with the token, if any, as a parameter (sc://host:port/;token=)."""
    url, token = settings.url, settings.token
    return url + ("" if "/;" in url else "/") + f";token={token}" if token else url


def first_line(exc: BaseException) -> str:
    said = str(exc).strip()
    said = re.sub(r"\s*JVM stacktrace:.*", "", said, flags=re.DOTALL)
    return said.splitlines()[0] if said else type(exc).__name__
