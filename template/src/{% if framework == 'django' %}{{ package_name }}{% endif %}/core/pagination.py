"""Keyset pagination: `limit` plus an `after` cursor, and no count(*).

A page asks for one row more than it returns, to know whether another page
follows; the cost of a page does not grow with the table the way OFFSET and
COUNT do.
"""

from ninja import Field, Schema

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Largest value of a 64-bit signed key: bigger cursors cannot match any row.
MAX_ID = 2**63 - 1


class PageParams(Schema):
    """Query parameters of a list endpoint (`Query[PageParams]`)."""

    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page.")
    after: int | None = Field(
        default=None, ge=0, le=MAX_ID, description="Cursor: the `next_after` of the previous page."
    )
