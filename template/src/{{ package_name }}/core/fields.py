"""Reusable field types for API schemas.

Text that a database cannot store (NUL characters, lone surrogates) is refused
at the edge with a 422, instead of failing in the driver with a 500.
"""

from typing import Annotated

from pydantic import AfterValidator, Field


def _storable_text(value: str) -> str:
    if "\x00" in value:
        msg = "must not contain NUL characters"
        raise ValueError(msg)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        msg = "must be valid Unicode text"
        raise ValueError(msg) from None
    return value


# The schema says "no NUL" too, so clients (and schema-driven fuzzers) can know it.
StorableText = Annotated[
    str, AfterValidator(_storable_text), Field(json_schema_extra={"pattern": "^[^\\u0000]*$"})
]
