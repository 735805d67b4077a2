"""What the tests look for in the log lines a test captured (pytest's `caplog`)."""

import logging

import pytest


def unhandled_error_record(caplog: pytest.LogCaptureFixture, *, request_id: str) -> logging.LogRecord:
    """The one line a request that failed unexpectedly wrote: stamped with its id, with the
    traceback the client never sees."""
    [record] = [record for record in caplog.records if record.getMessage() == "unhandled error"]
    assert getattr(record, "request_id", None) == request_id
    assert record.exc_info is not None
    return record
