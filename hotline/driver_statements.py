"""Run a hot path's Core statements on the driver's cursor: compiled once, no per-call machinery.

A call's first webhook spent more CPU in SQLAlchemy's execution (the
Connection and its transaction, the execution context, the result objects)
than in the database. Here a statement written with SQLAlchemy Core is
compiled once per dialect and set of parameters; each run passes the values
through the column types' own bind processors to a cursor of a connection
checked out of the engine's pool. Same SQL, same pool (and its dead-connection
check at checkout), same exception classes: a driver error comes out as
SQLAlchemy's, and a connection the server dropped, or one interrupted by a
deadline, is invalidated rather than handed back.

What this leaves out is refused when a statement is compiled, not silently
skipped: a Python-side default or a parameter computed at execution (pass the
value instead), post-compile parameters (expanding IN). Rows come back with the
driver's values, so read only columns that need no result processing (ids,
text, numbers).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy import Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import IsolationLevel
from sqlalchemy.exc import DBAPIError, NoResultFound
from sqlalchemy.sql.elements import ClauseElement

_GIVEN = object()  # a bind whose value each run passes


@dataclass
class _Compiled:
    sql: str
    # Per bind, in the order the driver takes them: its name, the value the statement
    # carries (a default, a literal) or _GIVEN, and the type's bind processor.
    binds: tuple[tuple[str, Any, Callable[[Any], Any] | None], ...]
    positional: bool
    row_type: Any = None  # the rows' named tuple, made at the first run


# Per statement (by identity, kept alive here), dialect and the parameter names given.
_compiled: dict[tuple[int, int, frozenset[str]], tuple[Any, Dialect, _Compiled]] = {}
# The hot path's statements are module constants: a few dozen at most.
MAX_HELD = 500


def _compile(statement: ClauseElement, dialect: Dialect, keys: frozenset[str]) -> _Compiled:
    compiled: Any = statement.compile(dialect=dialect, column_keys=sorted(keys))
    if compiled.insert_prefetch or compiled.update_prefetch:
        columns = [column.key for column in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        raise ValueError(f"pass {columns}: their defaults are computed at execution")
    if "__[POSTCOMPILE" in compiled.string or compiled.escaped_bind_names:
        raise ValueError("expanding or escaped parameters are not run on the driver")
    binds = compiled.binds
    if any(bind.callable is not None for bind in binds.values()):
        raise ValueError("a parameter computed at execution (callable_) is not run on the driver")
    missing = [name for name, bind in binds.items() if bind.required and name not in keys]
    if missing:
        raise ValueError(f"the statement needs the parameters {missing}")
    names = compiled.positiontup if dialect.positional else list(binds)
    return _Compiled(
        sql=compiled.string,
        binds=tuple(
            (
                name,
                _GIVEN if name in keys else binds[name].effective_value,
                binds[name].type.dialect_impl(dialect).bind_processor(dialect),
            )
            for name in names
        ),
        positional=dialect.positional,
    )


def compiled_for(statement: ClauseElement, dialect: Dialect, keys: frozenset[str]) -> _Compiled:
    """Return `statement` compiled for `dialect` and the parameter names `keys`, once."""
    key = (id(statement), id(dialect), keys)
    held = _compiled.get(key)
    if held is not None:
        return held[2]
    built = _compile(statement, dialect, keys)
    if len(_compiled) >= MAX_HELD:  # statements built per call, against the rule: no leak
        _compiled.clear()
    _compiled[key] = (statement, dialect, built)
    return built


class DriverResult:
    """The rows a statement answered, fetched at once; what the hot path asks of a Result."""

    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows

    def one(self) -> Any:
        """Return the only row; raise if there is none or more than one."""
        if len(self.rows) != 1:
            raise NoResultFound(f"expected one row, got {len(self.rows)}")
        return self.rows[0]

    def scalar(self) -> Any:
        """Return the first column of the first row, or None when there is no row."""
        return self.rows[0][0] if self.rows else None

    def scalar_one(self) -> Any:
        """Return the first column of the only row."""
        return self.one()[0]


def _rows(compiled: _Compiled, cursor: Any) -> list[Any]:
    description = cursor.description
    if description is None:
        return []
    if compiled.row_type is None:
        names = [column[0] for column in description]
        compiled.row_type = namedtuple("Row", names, rename=True)  # type: ignore[misc]
    row_type = compiled.row_type
    return [row_type(*row) for row in cursor.fetchall()]


class DriverConnection:
    """A pooled connection whose statements go straight to the driver (see the module)."""

    def __init__(self, pooled: Any, dialect: Dialect) -> None:
        self.pooled = pooled
        self.dialect = dialect
        self.invalidated = False

    def execute(self, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> Any:
        """Run `statement` with `params` (by bind name); return its rows as a DriverResult."""
        given = params or {}
        compiled = compiled_for(statement, self.dialect, frozenset(given))
        positional = compiled.positional
        arguments: Any = [] if positional else {}
        for name, carried, processor in compiled.binds:
            value = given[name] if carried is _GIVEN else carried
            if processor is not None:
                value = processor(value)
            if positional:
                arguments.append(value)
            else:
                arguments[name] = value
        cursor = self.pooled.cursor()
        try:
            cursor.execute(compiled.sql, arguments)
            return DriverResult(_rows(compiled, cursor))
        except BaseException as error:
            self._fail(error, compiled.sql, cursor)
        finally:
            cursor.close()

    def commit(self) -> None:
        """Commit the driver's transaction."""
        try:
            self.pooled.commit()
        except BaseException as error:
            self._fail(error, "COMMIT", None)

    def rollback(self) -> None:
        """Roll back the driver's transaction."""
        try:
            self.pooled.rollback()
        except BaseException as error:
            self._fail(error, "ROLLBACK", None)

    def invalidate(self, error: BaseException | None = None) -> None:
        """Close this connection for good: the pool opens a fresh one for the next checkout."""
        if not self.invalidated:
            self.invalidated = True
            self.pooled.invalidate(error)

    def _fail(self, error: BaseException, sql: str, cursor: Any) -> NoReturn:
        """Raise `error` again, a driver's as SQLAlchemy's; drop a connection that is lost."""
        dialect = self.dialect
        base = dialect.loaded_dbapi.Error
        if not isinstance(error, Exception):
            # A deadline (or ^C) mid-statement: the server may still be on it.
            self.invalidate()
            raise error
        if not isinstance(error, base):
            raise error
        dropped = bool(dialect.is_disconnect(error, self.pooled.dbapi_connection, cursor))
        if dropped:
            self.invalidate(error)
        raise DBAPIError.instance(
            sql,
            None,
            error,
            base,
            hide_parameters=True,
            connection_invalidated=dropped,
            dialect=dialect,
        ) from error


@contextmanager
def connect(
    engine: Engine, isolation_level: IsolationLevel | None = None
) -> Iterator[DriverConnection]:
    """Check a connection out of `engine`'s pool for driver statements; give it back after.

    `isolation_level` ("AUTOCOMMIT", say) holds for this checkout only. What is
    left uncommitted is rolled back by the pool; after an interruption the
    connection is closed instead, without another word to the server.
    """
    dialect = engine.dialect
    connection = DriverConnection(engine.raw_connection(), dialect)
    try:
        if isolation_level is not None:
            dialect.set_isolation_level(connection.pooled.dbapi_connection, isolation_level)
        yield connection
    except BaseException as error:
        if not isinstance(error, Exception):  # interrupted: no rollback on a server that may hang
            connection.invalidate()
        raise
    finally:
        try:
            if isolation_level is not None and not connection.invalidated:
                dialect.reset_isolation_level(connection.pooled.dbapi_connection)
        finally:
            connection.pooled.close()
