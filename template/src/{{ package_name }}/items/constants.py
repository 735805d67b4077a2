"""The items feature's limits: what its columns can store, read by its models and its schemas."""

NAME_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000
# 32-bit signed INTEGER column: larger values would fail in the database.
MAX_QUANTITY = 2**31 - 1
