"""Back up the database and rehearse a restore, with the database's own tools.

    python scripts/backup.py backup [--dir backups] [--keep 7]
    python scripts/backup.py restore-drill [--dir backups] [--keep-scratch]
    python scripts/backup.py verify --restored-url URL

The database is DATABASE_URL (or --database-url), in the form the service reads.
`backup` writes one dump into the directory (PostgreSQL: `pg_dump --format=custom`;
MariaDB/MySQL: `mariadb-dump --single-transaction`; SQLite: its online backup API) and
keeps the newest `--keep` of them. `restore-drill` restores the newest dump into a
scratch database beside the source (`<name>_restore_drill`), then checks that every
table holds as many rows as in the source and that the migration head (alembic_version,
or the newest django_migrations entry of each app) is the same; any difference is named
and the exit status is 1. Run it right after a backup, at a quiet moment: a write to the
source in between is a difference too. `verify` runs the same checks on any restored copy.

Only the standard library and the database's client tools (pg_dump, pg_restore, psql /
mariadb-dump, mariadb) are used, so the script runs wherever those are installed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import quote, unquote, urlsplit

Kind = Literal["postgresql", "mysql", "sqlite"]
KINDS: Mapping[str, Kind] = {
    "postgres": "postgresql",
    "postgresql": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
}
SUFFIXES: Mapping[Kind, str] = {"postgresql": "dump", "mysql": "sql", "sqlite": "sqlite3"}
SCRATCH_SUFFIX = "_restore_drill"


class BackupError(Exception):
    """A step failed; the message says which and why."""


@dataclass(frozen=True)
class Database:
    """A database as DATABASE_URL names it: `name` is the database, or SQLite's file path."""

    kind: Kind
    name: str
    host: str = ""
    port: int | None = None
    user: str = ""
    password: str = ""

    @classmethod
    def from_url(cls, url: str) -> Database:
        parts = urlsplit(url)
        kind = KINDS.get(parts.scheme.partition("+")[0])
        if kind is None:
            msg = f"unsupported database URL scheme {parts.scheme!r}"
            raise BackupError(msg)
        if kind == "sqlite":
            # sqlite:///relative.db and sqlite:////absolute/path.db
            return cls(kind, unquote(parts.path[1:]))
        return cls(
            kind,
            unquote(parts.path.lstrip("/")),
            host=parts.hostname or "127.0.0.1",
            port=parts.port,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
        )

    def url(self) -> str:
        """This database as a URL that `from_url` reads (with the password)."""
        if self.kind == "sqlite":
            return f"sqlite:///{self.name}"
        credentials = quote(self.user, safe="")
        if self.password:
            credentials += ":" + quote(self.password, safe="")
        port = f":{self.port}" if self.port else ""
        return f"{self.kind}://{credentials}@{self.host}{port}/{quote(self.name, safe='')}"

    @property
    def scratch(self) -> Database:
        """Where the drill restores to: beside the source, never the source itself."""
        return replace(self, name=f"{self.name}{SCRATCH_SUFFIX}")


@dataclass(frozen=True)
class Snapshot:
    """What the drill compares: rows per table and the migration head."""

    row_counts: Mapping[str, int]
    head: tuple[str, ...]


def say(message: str) -> None:
    sys.stdout.write(message + "\n")


# --- The client tools -------------------------------------------------------------------


def _run(command: Sequence[str], env: Mapping[str, str], *, stdin: Path | None = None) -> str:
    if shutil.which(command[0]) is None:
        msg = f"{command[0]} is not installed (it comes with the database's client package)"
        raise BackupError(msg)
    with (stdin or Path(os.devnull)).open("rb") as source:
        # The database's own client tool, with arguments this script builds.
        done = subprocess.run(  # noqa: S603
            command, env={**os.environ, **env}, stdin=source, capture_output=True, check=False
        )
    if done.returncode != 0:
        msg = f"{command[0]} failed ({done.returncode}): {done.stderr.decode(errors='replace').strip()}"
        raise BackupError(msg)
    return done.stdout.decode()


def _pg_env(database: Database, name: str | None = None) -> dict[str, str]:
    env = {"PGHOST": database.host, "PGUSER": database.user, "PGDATABASE": name or database.name}
    if database.port:
        env["PGPORT"] = str(database.port)
    if database.password:
        env["PGPASSWORD"] = database.password
    return env


def _mysql_args(database: Database) -> list[str]:
    args = [f"--host={database.host}", f"--user={database.user}"]
    if database.port:
        args.append(f"--port={database.port}")
    return args


def _mysql_env(database: Database) -> dict[str, str]:
    # The password in the environment, never on a command line that `ps` shows.
    return {"MYSQL_PWD": database.password} if database.password else {}


def _mysql_tool(*names: str) -> str:
    """MariaDB's client names (`mariadb`, `mariadb-dump`), or MySQL's where only those exist."""
    return next((name for name in names if shutil.which(name)), names[0])


def query(database: Database, sql: str) -> list[tuple[str, ...]]:
    """The rows of one query, as text."""
    if database.kind == "sqlite":
        if not Path(database.name).exists():
            msg = f"no SQLite database at {database.name}"
            raise BackupError(msg)
        with closing(sqlite3.connect(database.name)) as connection:
            return [tuple(str(value) for value in row) for row in connection.execute(sql)]
    if database.kind == "postgresql":
        out = _run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-tA", "-F", "\t", "-c", sql], _pg_env(database))
    else:
        tool = _mysql_tool("mariadb", "mysql")
        out = _run([tool, *_mysql_args(database), "-N", "-B", "-e", sql, database.name], _mysql_env(database))
    return [tuple(line.split("\t")) for line in out.splitlines() if line]


def execute(database: Database, sql: str) -> None:
    """Run one statement (for the drill's scratch database, and for tests)."""
    if database.kind == "sqlite":
        with closing(sqlite3.connect(database.name)) as connection, connection:
            connection.execute(sql)
        return
    query(database, sql)


def _quote(database: Database, identifier: str) -> str:
    if database.kind == "mysql":
        return "`" + identifier.replace("`", "``") + "`"
    return '"' + identifier.replace('"', '""') + '"'


# --- Backup ---------------------------------------------------------------------------


def backup(database: Database, directory: Path, keep: int) -> Path:
    """Write one dump of `database` into `directory`; keep the newest `keep` dumps."""
    if keep < 1:
        msg = "--keep must be at least 1: the dump just written is kept"
        raise BackupError(msg)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = directory / f"{_stem(database)}-{stamp}.{SUFFIXES[database.kind]}"
    partial = target.with_name(target.name + ".partial")
    if database.kind == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={partial}"], _pg_env(database))
    elif database.kind == "mysql":
        tool = _mysql_tool("mariadb-dump", "mysqldump")
        consistent = ["--single-transaction", "--routines", "--triggers", "--hex-blob"]
        _run(
            [tool, *_mysql_args(database), *consistent, f"--result-file={partial}", database.name],
            _mysql_env(database),
        )
    else:
        _sqlite_copy(Path(database.name), partial)
    # Renamed only once complete: a dump cut short is never the newest one.
    partial.rename(target)
    for old in dumps(database, directory)[:-keep]:
        old.unlink()
    return target


def dumps(database: Database, directory: Path) -> list[Path]:
    """The dumps of `database` in `directory`, oldest first (the names sort by time)."""
    return sorted(directory.glob(f"{_stem(database)}-*.{SUFFIXES[database.kind]}"))


def _stem(database: Database) -> str:
    return Path(database.name).stem if database.kind == "sqlite" else database.name


def _sqlite_copy(source: Path, target: Path) -> None:
    if not source.exists():
        msg = f"no SQLite database at {source}"
        raise BackupError(msg)
    # The online backup API: a consistent copy while the service writes.
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(target)) as copy:
        origin.backup(copy)


# --- Restore and verify -----------------------------------------------------------------


def restore(dump: Path, scratch: Database) -> None:
    """Restore `dump` into `scratch`, replacing whatever it held."""
    drop(scratch)
    if scratch.kind == "postgresql":
        _run(
            ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {_quote(scratch, scratch.name)}"],
            _pg_env(scratch, _source_name(scratch)),
        )
        _run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={scratch.name}", str(dump)],
            _pg_env(scratch),
        )
    elif scratch.kind == "mysql":
        tool = _mysql_tool("mariadb", "mysql")
        charset = "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        create = f"CREATE DATABASE {_quote(scratch, scratch.name)} {charset}"
        _run([tool, *_mysql_args(scratch), "-e", create], _mysql_env(scratch))
        _run([tool, *_mysql_args(scratch), scratch.name], _mysql_env(scratch), stdin=dump)
    else:
        _sqlite_copy(dump, Path(scratch.name))


def drop(scratch: Database) -> None:
    """Remove a scratch database (never called on the source: the drill's name is its own)."""
    if not scratch.name.endswith(SCRATCH_SUFFIX):
        msg = f"refusing to drop {scratch.name!r}: only a scratch database ({SCRATCH_SUFFIX}) is dropped"
        raise BackupError(msg)
    if scratch.kind == "postgresql":
        statement = f"DROP DATABASE IF EXISTS {_quote(scratch, scratch.name)} WITH (FORCE)"
        _run(
            ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-c", statement], _pg_env(scratch, _source_name(scratch))
        )
    elif scratch.kind == "mysql":
        statement = f"DROP DATABASE IF EXISTS {_quote(scratch, scratch.name)}"
        _run([_mysql_tool("mariadb", "mysql"), *_mysql_args(scratch), "-e", statement], _mysql_env(scratch))
    else:
        Path(scratch.name).unlink(missing_ok=True)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _source_name(scratch: Database) -> str:
    """The source database's name: the scratch one is created and dropped from there."""
    return scratch.name.removesuffix(SCRATCH_SUFFIX)


def snapshot(database: Database) -> Snapshot:
    if database.kind == "postgresql":
        tables_sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
    elif database.kind == "mysql":
        tables_sql = (
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY 1"
        )
    else:
        tables_sql = (
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        )
    tables = [row[0] for row in query(database, tables_sql)]
    if tables:
        counts_sql = " UNION ALL ".join(
            # The names come from the database's own catalogue, quoted.
            f"SELECT {_literal(table)}, COUNT(*) FROM {_quote(database, table)}"  # noqa: S608
            for table in tables
        )
        row_counts = {table: int(count) for table, count in query(database, counts_sql)}
    else:
        row_counts = {}
    head: tuple[str, ...] = ()
    if "alembic_version" in tables:
        head = tuple(row[0] for row in query(database, "SELECT version_num FROM alembic_version ORDER BY 1"))
    elif "django_migrations" in tables:
        rows = query(database, "SELECT app, MAX(name) FROM django_migrations GROUP BY app ORDER BY app")
        head = tuple(f"{app}.{name}" for app, name in rows)
    return Snapshot(row_counts, head)


def differences(source: Snapshot, restored: Snapshot) -> list[str]:
    """Every way `restored` differs from `source`, one line each; empty when they agree."""
    found = []
    if not source.head:
        found.append("the source has no migration head (alembic_version / django_migrations)")
    if restored.head != source.head:
        found.append(f"migration head: source {list(source.head)}, restored {list(restored.head)}")
    for table in sorted(source.row_counts.keys() | restored.row_counts.keys()):
        expected, got = source.row_counts.get(table), restored.row_counts.get(table)
        if expected != got:
            found.append(f"table {table}: source {_rows(expected)}, restored {_rows(got)}")
    return found


def _rows(count: int | None) -> str:
    return "missing" if count is None else f"{count} rows"


def verify(source: Database, restored: Database) -> list[str]:
    return differences(snapshot(source), snapshot(restored))


def restore_drill(source: Database, directory: Path, *, keep_scratch: bool = False) -> list[str]:
    """Restore the newest dump into the scratch database and compare it with the source."""
    found = dumps(source, directory)
    if not found:
        msg = f"no dump of {_stem(source)} in {directory}: run the backup first"
        raise BackupError(msg)
    latest = found[-1]
    say(f"restoring {latest} into {source.scratch.name}")
    restore(latest, source.scratch)
    try:
        return verify(source, source.scratch)
    finally:
        if not keep_scratch:
            drop(source.scratch)


# --- Command line ---------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL"), help="default: DATABASE_URL"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    backup_parser = commands.add_parser("backup", help="write one dump and apply the retention")
    drill_parser = commands.add_parser(
        "restore-drill", help="restore the newest dump into a scratch database, compare"
    )
    for sub in (backup_parser, drill_parser):
        sub.add_argument(
            "--dir", type=Path, default=Path("backups"), help="where the dumps are (default: backups)"
        )
    backup_parser.add_argument("--keep", type=int, default=7, help="how many dumps to keep (default: 7)")
    drill_parser.add_argument(
        "--keep-scratch", action="store_true", help="leave the scratch database for a look"
    )
    verify_parser = commands.add_parser("verify", help="compare a restored copy with the source")
    verify_parser.add_argument("--restored-url", required=True)
    args = parser.parse_args(argv)
    if not args.database_url:
        say("error: set DATABASE_URL or pass --database-url")
        return 2
    try:
        source = Database.from_url(args.database_url)
        if args.command == "backup":
            say(f"wrote {backup(source, args.dir, args.keep)}")
            return 0
        if args.command == "restore-drill":
            found = restore_drill(source, args.dir, keep_scratch=args.keep_scratch)
        else:
            found = verify(source, Database.from_url(args.restored_url))
    except BackupError as error:
        say(f"error: {error}")
        return 1
    if found:
        say("restore drill FAILED: the restored copy differs from the source")
        for line in found:
            say(f"  {line}")
        return 1
    say("restore drill passed: every table's row count and the migration head match the source")
    return 0


if __name__ == "__main__":
    sys.exit(main())
