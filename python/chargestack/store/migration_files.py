"""Discovery of the numbered schema migrations shipped in ``store/migrations/``.

A migration is a file ``NNN_name.sql``; its number is the ``PRAGMA user_version`` the database
has once it is applied. Numbers start at 1 and have no gaps, so a database's version says
exactly which files it has seen. Files are package data (maturin ships everything under
``python/chargestack``) and are read with :mod:`importlib.resources`, so this works from a
wheel, a zip or a source tree alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from chargestack.exceptions import StoreError

_FILE_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
# The runner wraps each file in its own transaction; a file that commits on its own would
# break the "one migration, one transaction" guarantee.
_TRANSACTION_STATEMENT = re.compile(
    r"^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE | re.MULTILINE
)


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: applying it brings the database to ``version``."""

    version: int
    name: str
    sql: str


def load_migrations(folder: Traversable | None = None) -> list[Migration]:
    """The migrations in ``folder`` (default: the bundled ones), ordered by number.

    Raises StoreError when numbering is broken (duplicate, gap, not starting at 001) or a file
    controls transactions itself: that is a packaging bug and must stop the station.
    """
    if folder is None:
        folder = resources.files("chargestack.store") / "migrations"
    found: dict[int, Migration] = {}
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match is None or not entry.is_file():
            continue
        version = int(match.group(1))
        if version in found:
            raise StoreError(
                f"two schema migrations share number {version:03d}: "
                f"{found[version].name} and {entry.name}"
            )
        sql = entry.read_text(encoding="utf-8")
        if _TRANSACTION_STATEMENT.search(_strip_comments(sql)):
            raise StoreError(
                f"schema migration {entry.name} contains a transaction statement; "
                "the runner wraps each migration in its own transaction"
            )
        found[version] = Migration(version, entry.name, sql)
    ordered = [found[v] for v in sorted(found)]
    for expected, migration in enumerate(ordered, start=1):
        if migration.version != expected:
            raise StoreError(
                f"schema migrations must be numbered 001, 002, ... without gaps; "
                f"expected {expected:03d}, found {migration.name}"
            )
    return ordered


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)
