"""The analytics store: ClickHouse through clickhouse-connect, or chDB embedded in-process.

Both backends run the same SQL with ClickHouse's server-side bound parameters
(`{name:Type}`), and both hand results back as Arrow, which callers turn into polars. A
query may also read an Arrow table sent with it, named INPUT in its SQL: chDB reads it in
place (its Python() table function), a server receives it as external data.
"""

from __future__ import annotations

import asyncio
import contextvars
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

import polars as pl
import pyarrow as pa

from app.settings import BLOCK_CACHE_MB, ClickHouseSettings

# Set per request by the request-id middleware so every query can be traced back to it.
query_tag: contextvars.ContextVar[str] = contextvars.ContextVar("clickhouse_query_tag", default="")

Params = dict[str, Any] | None
# Where a query reads the table passed as `input` (its text columns arrive as String).
INPUT = "__input__"
EXTERNAL_NAME = "nexus_input"  # what a ClickHouse server calls it


class AnalyticsStore(Protocol):
    """What the rest of the application may ask of ClickHouse."""

    async def query_arrow(self, sql: str, params: Params = None, input: pa.Table | None = None) -> pa.Table: ...

    async def command(self, sql: str, params: Params = None) -> None: ...

    async def insert_arrow(self, table: str, data: pa.Table) -> None: ...

    async def check(self) -> None: ...

    async def close(self) -> None: ...


async def query_frame(store: AnalyticsStore, sql: str, params: Params = None) -> pl.DataFrame:
    """Run a query and return a polars frame (zero-copy from Arrow where the types allow)."""
    result = pl.from_arrow(await store.query_arrow(sql, params))
    assert isinstance(result, pl.DataFrame)
    return result


def time_param(moment: datetime, *, milliseconds: bool = False) -> str:
    """A time as the text of a ClickHouse parameter, in UTC. Text reads the same on both
    backends (each would render a Python datetime its own way); `DateTime` parameters take
    whole seconds only, `DateTime64(3)` ones milliseconds too."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return text[:-3] if milliseconds else text[:-7]


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_literal(item) for item in value) + "]"
    return str(value)


def _chdb_params(params: Params) -> dict[str, Any]:
    """chDB passes parameter values to ClickHouse as text; arrays must be written as
    ClickHouse array literals (clickhouse-connect does this itself)."""
    if not params:
        return {}
    return {name: _literal(value) if isinstance(value, (list, tuple)) else value for name, value in params.items()}


class ChDBStore:
    """chDB in-process. One connection per process (a chDB rule), driven from a single
    worker thread: calls never block the event loop and never interleave on the connection,
    while ClickHouse still parallelises each query over its own threads."""

    def __init__(self, path: Path, block_cache_mb: int = BLOCK_CACHE_MB) -> None:
        self.path = path
        self.block_cache_mb = block_cache_mb
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chdb")
        self._conn: Any = None

    def _connect(self) -> None:
        import chdb  # imported lazily: only embedded mode needs it

        self.path.mkdir(parents=True, exist_ok=True)
        self._conn = chdb.connect(f"{self.path}?{urlencode(self._startup())}")

    def _startup(self) -> dict[str, int]:
        """ClickHouse's cache of decompressed blocks (off by default): live dashboards ask
        the same short questions of the same recent granules and rollup parts every few
        seconds, and decompressing them again was a good part of each answer. Reads too big
        for it (merge_tree_max_rows_to_use_cache) bypass it, so scans do not flush it.
        Measured on chDB 26.9 (bench/queries.py data, 10M events): the eight panels' medians
        summed 87.6 -> 75.7 ms, each 5-15% faster."""
        if not self.block_cache_mb:
            return {}
        return {"uncompressed_cache_size": self.block_cache_mb * 1024 * 1024, "use_uncompressed_cache": 1}

    async def start(self) -> None:
        await self._run(self._connect)

    async def _run(self, fn: Any, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    @staticmethod
    def _tagged(sql: str) -> str:
        tag = query_tag.get()
        return f"/* request_id={tag} */ {sql}" if tag else sql

    async def query_arrow(self, sql: str, params: Params = None, input: pa.Table | None = None) -> pa.Table:
        def query() -> pa.Table:
            # Python(name) looks the name up in this frame.
            input_rows = input  # noqa: F841 - referenced by name in the SQL
            text = sql.replace(INPUT, "Python(input_rows)") if input is not None else sql
            return self._conn.query(self._tagged(text), "ArrowTable", params=_chdb_params(params))

        result: pa.Table = await self._run(query)
        return result

    async def command(self, sql: str, params: Params = None) -> None:
        await self._run(lambda: self._conn.query(self._tagged(sql), "CSV", params=_chdb_params(params)))

    async def insert_arrow(self, table: str, data: pa.Table) -> None:
        statement = self._tagged(insert_statement(table, data))
        await self._run(chdb_insert, self._conn, statement, data)

    async def check(self) -> None:
        await asyncio.wait_for(self.command("SELECT 1"), timeout=5)

    async def close(self) -> None:
        if self._conn is not None:
            await self._run(self._conn.close)
            self._conn = None
        self._executor.shutdown(wait=True)


class ClickHouseServerStore:
    """A ClickHouse server or cluster over HTTP(S) via clickhouse-connect's async client."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client: Any = None

    async def start(self) -> None:
        import clickhouse_connect

        self._client = await clickhouse_connect.get_async_client(dsn=self.url)

    @staticmethod
    def _settings() -> dict[str, str]:
        tag = query_tag.get()
        return {"log_comment": tag} if tag else {}

    async def query_arrow(self, sql: str, params: Params = None, input: pa.Table | None = None) -> pa.Table:
        external = None
        if input is not None:
            sql = sql.replace(INPUT, EXTERNAL_NAME)
            external = _external_data(input)
        return await self._client.query_arrow(
            sql, parameters=params or {}, settings=self._settings(), external_data=external
        )

    async def command(self, sql: str, params: Params = None) -> None:
        await self._client.command(sql, parameters=params or {}, settings=self._settings())

    async def insert_arrow(self, table: str, data: pa.Table) -> None:
        # On a cluster `table` is Distributed: insert synchronously, so a write that returns
        # has reached the shards (an acknowledged event is stored, not queued).
        settings = {**self._settings(), "insert_distributed_sync": 1}
        await self._client.insert_arrow(table, data, settings=settings)

    async def check(self) -> None:
        await asyncio.wait_for(self._client.command("SELECT 1"), timeout=5)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


def insert_statement(table: str, data: pa.Table) -> str:
    """`INSERT INTO table (columns)` for `data`'s columns, without FORMAT or data."""
    columns = ", ".join(f"`{name}`" for name in data.column_names)
    return f"INSERT INTO {table} ({columns})"


def chdb_insert(conn: Any, statement: str, data: pa.Table) -> None:
    """Run `statement` (insert_statement) on a chDB connection with `data` as its rows.

    The rows go in as Arrow IPC bytes, parsed by ClickHouse's own threads. Read through the
    Python() table function instead, they were walked with the GIL held: ~6 ms of a 400-row
    insert during which the event loop could not run, and about a third longer an insert
    (measured on chDB 26.9)."""
    with conn.send_insert(statement, "Arrow") as inserter:
        inserter.append(_arrow_file(data))
        inserter.finish()


def _arrow_file(table: pa.Table) -> bytes:
    """The table in Arrow's IPC file format (ClickHouse's format `Arrow`)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _external_data(table: pa.Table) -> Any:
    """A table sent along with a query (ClickHouse external data), as Arrow."""
    from clickhouse_connect.driver.external import ExternalData

    if any(not pa.types.is_string(field.type) for field in table.schema):
        raise TypeError("only text columns are sent as external data")
    return ExternalData(
        file_name=EXTERNAL_NAME,
        data=_arrow_file(table),
        fmt="Arrow",
        structure=[f"{name} String" for name in table.column_names],
    )


def make_store(settings: ClickHouseSettings, data_dir: Path) -> ChDBStore | ClickHouseServerStore:
    """The server when CLICKHOUSE_URL is set, else chDB in the data dir."""
    if settings.url:
        return ClickHouseServerStore(settings.url)
    return ChDBStore(data_dir / "clickhouse", settings.block_cache_mb)
