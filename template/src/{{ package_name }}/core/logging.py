"""Structured logging: one JSON object per line on stdout, with the request id.

Logs go to stdout for the platform to collect (12-factor); the request id ties
together every line written while handling one request. The same for both
frameworks: FastAPI's `main.py` calls `configure(logging_config(...))`; Django applies
them through its settings (LOGGING, and LOGGING_CONFIG naming `configure`).
"""

import json
import logging
import logging.config
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

REQUEST_ID_HEADER = "X-Request-ID"
# What a caller's id may be: short, and nothing that could forge a log line or a header.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id_for(incoming: str | None) -> str:
    """The request's id: the caller's X-Request-ID if well-formed, else a new one.

    Set for logging and echoed in the response (core/middleware.py), so a client can
    quote it in a bug report and an operator can find every log line of that request.
    """
    if incoming and _VALID_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid4().hex


# Attributes every LogRecord has; anything else was passed with `extra=` and is logged.
# Django's `request` extra is an object, not data: the request id identifies the request;
# uvicorn's `color_message` repeats the message with terminal colours.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "taskName",
    "request_id",
    "request",
    "color_message",
}
_base_record_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """Stamp each record with the current request id when it is created.

    Formatting may happen later (or elsewhere), when the request's context is gone.
    """
    record = _base_record_factory(*args, **kwargs)
    record.request_id = request_id_var.get()
    return record


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            payload["request_id"] = request_id
        payload.update({k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS})
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [request_id={request_id}]" if request_id else line


def logging_config(
    *, level: str, json_lines: bool, loggers: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A dictConfig: everything, the server's and the framework's `loggers` included, to stdout."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": JsonFormatter},
            "text": {"()": TextFormatter, "format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json_lines else "text",
                "stream": "ext://sys.stdout",
            },
        },
        "root": {"level": level.upper(), "handlers": ["stdout"]},
        "loggers": {
            # The server's own loggers go through the root handler, as JSON too.
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            # No access log on the hot path: the platform's load balancer keeps one.
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
            **(loggers or {}),
        },
    }


def configure(config: dict[str, Any]) -> None:
    """Request ids on every record, then the dictConfig; Python's warnings become log lines."""
    logging.setLogRecordFactory(_record_with_request_id)
    logging.config.dictConfig(config)
    # Logger "py.warnings", JSON like the rest.
    logging.captureWarnings(capture=True)
