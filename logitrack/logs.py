"""Structured JSON logs (structlog) with the request id, and the trace and span ids when a span is current, in
every line."""

from __future__ import annotations

import contextvars
import logging
import re
import time
from typing import Any

import structlog
from opentelemetry import trace

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def _add_request_id(logger: Any, method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    request_id = request_id_var.get()
    if request_id and "request_id" not in event_dict:
        event_dict["request_id"] = request_id
    return event_dict


def _add_trace_ids(logger: Any, method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """trace_id and span_id of the span current while the line is written (logitrack/tracing); none when tracing is
    off, where no span ever is."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid and "trace_id" not in event_dict:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict


class RequestIdFilter(logging.Filter):
    """Puts the request id on stdlib records too (Django, Celery, Channels log through stdlib)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


_TOKEN_IN_QUERY = re.compile(r"([?&](?:token|access|refresh)=)[^&\s\"']*", re.IGNORECASE)
REDACTED = "[redacted]"


# an integrator's API key (identity: lt_<prefix>_<secret>) wherever it appears: its prefix stays, to tell which key
_API_KEY = re.compile(r"\b(lt_[0-9a-f]{12}_)[A-Za-z0-9]{43}\b")


def redact_query_tokens(text: str) -> str:
    """`/ws/driver/?token=eyJ...&fleet_id=1` -> `/ws/driver/?token=[redacted]&fleet_id=1`; an API key's secret part
    anywhere -> `lt_3f9a0c1b2d4e_[redacted]`."""
    if "lt_" in text:
        text = _API_KEY.sub(lambda m: m.group(1) + REDACTED, text)
    return _TOKEN_IN_QUERY.sub(lambda m: m.group(1) + REDACTED, text) if "=" in text else text


class RedactQueryTokens(logging.Filter):
    """Websocket clients that cannot set subprotocols send their access token as `?token=`; uvicorn writes each
    websocket handshake's path with its query string ('"WebSocket /ws/driver/?token=..." [accepted]' on
    uvicorn.error, and the access log): redact the token in the message and its arguments, keeping their shape."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_query_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_query_tokens(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact_query_tokens(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


class RepeatsFilter(logging.Filter):
    """One line per outage from a library's own reconnect loop (psycopg's pool, Celery's consumer and beat log
    every try): a record repeating the message of one logged less than `quiet` seconds before is dropped, so a
    burst of retries gives its first line only."""

    def __init__(self, quiet: float = 60.0) -> None:
        super().__init__()
        self.quiet = quiet
        self._last: dict[tuple[str, str], float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key, now = (record.name, str(record.msg)[:200]), time.monotonic()
        last = self._last.get(key)
        self._last[key] = now  # a quiet gap, not the first line, starts the next outage's line
        return last is None or now - last > self.quiet


SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    _add_request_id,
    _add_trace_ids,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


# ... and the OTLP exporter, which logs each failed try of each batch while the collector is away
RETRYING_LOGGERS = (
    "psycopg.pool",
    "celery.worker.consumer.consumer",
    "celery.beat",
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
)


def logging_config(*, level: str, json: bool) -> dict[str, Any]:
    """A dictConfig routing stdlib and structlog output through one formatter."""
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": RequestIdFilter},
            "redact_tokens": {"()": RedactQueryTokens},
            "retry_repeats": {"()": RepeatsFilter},
        },
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    renderer,
                ],
                "foreign_pre_chain": SHARED_PROCESSORS,
            }
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
                "filters": ["request_id", "redact_tokens"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own console handler would print each request warning a second time, unformatted
            "django": {"handlers": []},
            "django.db.backends": {"level": "WARNING"},
            "daphne": {"level": "WARNING"},
            "weasyprint": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
            # uvicorn configures these before Django loads; they print URLs with query strings (tokens redacted).
            # uvicorn.error keeps uvicorn's own handler (it has none itself: it propagates to "uvicorn").
            "uvicorn.error": {"filters": ["redact_tokens"]},
            "uvicorn.access": {"handlers": ["console"], "filters": ["redact_tokens"], "propagate": False},
            # libraries that log every reconnect try: one line per outage (see logitrack.resilience)
            **{name: {"filters": ["retry_repeats"]} for name in RETRYING_LOGGERS},
        },
    }


def configure_structlog() -> None:
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
