"""Keyset pagination: `limit` plus an `after` cursor, and no count(*).

A page asks for one row more than it returns, to know whether another page
follows; the cost of a page does not grow with the table the way OFFSET and
COUNT do.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Largest value of a 64-bit signed key: bigger cursors cannot match any row.
MAX_ID = 2**63 - 1


class PageParams(BaseModel):
    limit: int
    after: int | None


async def get_page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page.")] = DEFAULT_PAGE_SIZE,
    after: Annotated[
        int | None,
        Query(ge=0, le=MAX_ID, description="Cursor: the `next_after` of the previous page."),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, after=after)


PageParamsDep = Annotated[PageParams, Depends(get_page_params)]


T = TypeVar("T")


# Generic[T], not `class Page[T]`: the project may target Python 3.11.
@dataclass(frozen=True, slots=True)
class Page(Generic[T]):  # noqa: UP046, RUF100 (UP046 fires only on 3.12+ targets)
    """One page of domain objects; the router turns it into the response schema."""

    rows: Sequence[T]
    next_after: int | None
