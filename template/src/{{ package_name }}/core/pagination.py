"""Keyset pagination: `limit` plus an `after` cursor, and no count(*).

A page asks for one row more than it returns, to know whether another page
follows; the cost of a page does not grow with the table the way OFFSET and
COUNT do. The query parameters, as each framework reads them, are in
`core/page_params.py`.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Largest value of a 64-bit signed key: bigger cursors cannot match any row.
MAX_ID = 2**63 - 1

T = TypeVar("T")


# Generic[T] and TypeVar, not `class Page[T]`: the project may target Python 3.11.
@dataclass(frozen=True, slots=True)
class Page(Generic[T]):  # noqa: UP046, RUF100 (UP046 fires only on 3.12+ targets)
    """One page of domain objects; the HTTP layer turns it into the response schema."""

    items: Sequence[T]
    next_after: int | None


def keyset_page(rows: Sequence[T], *, limit: int, key: Callable[[T], int]) -> Page[T]:  # noqa: UP047, RUF100
    """The page in `rows`, read with `limit + 1`: the extra row only says a next page exists."""
    items = rows[:limit]
    return Page(items=items, next_after=key(items[-1]) if len(rows) > limit else None)
