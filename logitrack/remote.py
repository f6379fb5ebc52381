"""Calling a context's api in this process or, when it runs as its own service, over HTTP, with the same contracts.

The caller's `integrations.py` holds a `ContextApi` built from the callee's published `RemoteInterface` (in its
contracts) and a function that imports its in-process api:

    billing = remote.ContextApi(billing_contracts.REMOTE, inprocess=_billing_api)
    billing.quote_check(quote_id=..., fleet_id=...)  # QuoteRef; or QuoteNotFound, QuoteExpired, BillingUnavailable

Settings, by the interface's service name (`BILLING_...`): `<NAME>_API_MODE` "inprocess" (default: the api module is
called directly) or "remote"; then `<NAME>_SERVICE_URL` (the service's base URL) and `<NAME>_SERVICE_TOKEN` (the
service credential its `<NAME>_SERVICE_TOKENS` accepts). The remote client, `RemoteClient`:

- POSTs `<url>/internal/<service>/<call>/` with the arguments as JSON (logitrack.wire), `Authorization: Bearer`,
  and this request's `X-Request-ID`; 200 `{"result": ...}` is decoded into the call's contract, a problem+json
  whose `code` is one of the interface's errors is raised as that error (QuoteNotFound stays QuoteNotFound);
- waits at most REMOTE_API_CONNECT_TIMEOUT_SECONDS to connect and REMOTE_API_TIMEOUT_SECONDS (or the call's own
  `timeout`) for the answer;
- retries a call marked `retry` (reads) after a refused or reset connection or a 502/503/504, at most
  REMOTE_API_RETRIES times with jittered backoff from REMOTE_API_RETRY_BASE_SECONDS; never after a read timeout
  (the budget is spent, and the service may be overloaded) and never a write;
- goes through one `CircuitBreaker` per service and process (logitrack.resilience): REMOTE_API_BREAKER_FAILURES
  calls failing in a row open it, then calls fail at once for REMOTE_API_BREAKER_RESET_SECONDS, then one trial
  call decides. Refused, failed or open, the caller gets the interface's `unavailable` error (503, its code,
  Retry-After until the breaker lets a call through again).

`serve_call` is the other side: the service's internal endpoint (logitrack.http.internal, one view for every
context) decodes the arguments by the api function's signature, calls it and encodes its result. Billing is called
so by the platform's contexts when it runs apart, and in billing's own processes billing calls fleet, partner and
identity so on the platform (`FLEET_API_MODE`, ... or `PLATFORM_API_MODE` for the three).
"""

from __future__ import annotations

import dataclasses
import hmac
import threading
import time
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

import requests
import structlog
from django.conf import settings
from django.core import checks

from logitrack import metrics, wire
from logitrack.exceptions import (
    ApplicationError,
    Conflict,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    Unauthenticated,
    Unprocessable,
    ValidationFailed,
)
from logitrack.logs import request_id_var
from logitrack.resilience import CircuitBreaker, CircuitOpen, retry_delay

log = structlog.get_logger(__name__)

INPROCESS, REMOTE = "inprocess", "remote"
RETRIED_STATUSES = frozenset({502, 503, 504})  # a proxy without the service behind it, or the service shedding load
_FAMILIES: dict[int, type[ApplicationError]] = {
    400: ValidationFailed,
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: Unprocessable,
}


class ContextApi:
    """Another context's api, called in process or over HTTP as settings say (read at each call, so a deployment,
    or a test, can switch). Attributes are the interface's calls, keyword arguments only, as in the api module."""

    def __init__(self, interface: wire.RemoteInterface, *, inprocess: Callable[[], ModuleType]) -> None:
        self.interface = interface
        self._inprocess = inprocess

    @property
    def mode(self) -> str:
        return api_mode(self.interface.service)

    def inprocess_module(self) -> ModuleType:
        """The api module itself (what this process serves at /internal/<service>/, logitrack.http.internal)."""
        return self._inprocess()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_") or name not in self.interface.calls:
            raise AttributeError(name)

        def call(**kwargs: Any) -> Any:
            if self.mode == INPROCESS:
                return getattr(self._inprocess(), name)(**kwargs)
            return client_for(self.interface).call(name, **kwargs)

        call.__name__ = name
        return call


def api_mode(service: str) -> str:
    """How this process calls `service`: INPROCESS (its api module) or REMOTE (its internal HTTP API)."""
    mode = str(getattr(settings, f"{service.upper()}_API_MODE", INPROCESS))
    if mode not in (INPROCESS, REMOTE):
        raise ValueError(f"{service.upper()}_API_MODE is {mode!r}: use {INPROCESS} or {REMOTE}")
    return mode


@dataclasses.dataclass(frozen=True)
class ClientSettings:
    url: str
    token: str
    connect_timeout: float
    timeout: float
    retries: int
    retry_base: float
    breaker_failures: int
    breaker_reset: float

    @classmethod
    def of(cls, service: str) -> ClientSettings:
        prefix = service.upper()
        url = str(getattr(settings, f"{prefix}_SERVICE_URL", "") or "").rstrip("/")
        if not url:
            raise ValueError(f"{prefix}_API_MODE is remote but {prefix}_SERVICE_URL is not set")
        return cls(
            url=url,
            token=str(getattr(settings, f"{prefix}_SERVICE_TOKEN", "") or ""),
            connect_timeout=float(settings.REMOTE_API_CONNECT_TIMEOUT_SECONDS),
            timeout=float(settings.REMOTE_API_TIMEOUT_SECONDS),
            retries=int(settings.REMOTE_API_RETRIES),
            retry_base=float(settings.REMOTE_API_RETRY_BASE_SECONDS),
            breaker_failures=int(settings.REMOTE_API_BREAKER_FAILURES),
            breaker_reset=float(settings.REMOTE_API_BREAKER_RESET_SECONDS),
        )


_clients: dict[tuple[str, ClientSettings], RemoteClient] = {}
_clients_lock = threading.Lock()


def client_for(interface: wire.RemoteInterface) -> RemoteClient:
    """This process's client of the service (one breaker and connection pool per service and settings)."""
    key = (interface.service, ClientSettings.of(interface.service))
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = RemoteClient(interface, key[1])
        return client


class _Outage(Exception):
    """A try that found the service away (refused, reset, timed out, 5xx): counted by the breaker."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.retry = retry


class RemoteClient:
    def __init__(self, interface: wire.RemoteInterface, config: ClientSettings) -> None:
        self.interface = interface
        self.config = config
        self.breaker = CircuitBreaker(
            f"remote.{interface.service}",
            failure_threshold=config.breaker_failures,
            reset_seconds=config.breaker_reset,
        )
        self._local = threading.local()  # a requests.Session (its connection pool) per thread

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers["Authorization"] = f"Bearer {self.config.token}"
        return session

    def call(self, name: str, **kwargs: Any) -> Any:
        spec = self.interface.calls[name]
        body = wire.encode(kwargs)
        attempt = 0
        while True:
            attempt += 1
            try:
                self.breaker.before()
            except CircuitOpen as exc:
                self._count(name, "refused")
                raise self._unavailable(f"{self.interface.service} is unavailable (circuit open)", exc.retry_after)
            try:
                status, payload = self._send(name, body, spec)
            except _Outage as exc:
                self.breaker.failed(exc)
                log.warning("remote.failed", service=self.interface.service, call=name, attempt=attempt, error=str(exc))
                if spec.retry and exc.retry and attempt <= self.config.retries:
                    time.sleep(retry_delay(attempt, base=self.config.retry_base, cap=self.config.retry_base * 8))
                    continue
                self._count(name, "unavailable")
                raise self._unavailable(f"{self.interface.service} is unavailable: {exc}", None) from exc
            except BaseException:
                self.breaker.release()  # not an outage (a bug of ours, an interrupt): never leave a trial open
                raise
            self.breaker.succeeded()
            self._count(name, "ok" if status == 200 else "error")
            if status == 200:
                try:
                    return wire.decode(payload["result"], spec.returns, "result")
                except (KeyError, TypeError, wire.WireError) as exc:
                    raise self._unavailable(
                        f"{self.interface.service} answered {name} unreadably: {exc}", None
                    ) from exc
            raise self._error(name, status, payload)

    def _count(self, name: str, outcome: str) -> None:
        metrics.REMOTE_CALLS.labels(self.interface.service, name, outcome).inc()

    def _send(self, name: str, body: Any, spec: wire.RemoteCall) -> tuple[int, Any]:
        url = f"{self.config.url}/internal/{self.interface.service}/{name}/"
        headers = {"X-Request-ID": request_id_var.get() or ""}
        headers = {k: v for k, v in headers.items() if v}
        try:
            response = self._session().post(
                url,
                json=body,
                headers=headers,
                timeout=(self.config.connect_timeout, spec.timeout or self.config.timeout),
            )
        except requests.ConnectTimeout as exc:
            raise _Outage(f"no connection within {self.config.connect_timeout}s", retry=True) from exc
        except requests.ReadTimeout as exc:
            raise _Outage(f"no answer within {spec.timeout or self.config.timeout}s", retry=False) from exc
        except requests.ConnectionError as exc:
            raise _Outage(f"connection failed ({type(exc).__name__})", retry=True) from exc
        if response.status_code >= 500:
            raise _Outage(f"answered {response.status_code}", retry=response.status_code in RETRIED_STATUSES)
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        return response.status_code, payload if isinstance(payload, dict) else {}

    def _unavailable(self, message: str, retry_after: float | None) -> ServiceUnavailable:
        wait = retry_after if retry_after is not None else self.breaker.retry_after()
        return self.interface.unavailable(message, retry_after=max(1, int(wait + 0.999)))

    def _error(self, name: str, status: int, payload: dict[str, Any]) -> ApplicationError:
        code = str(payload.get("code", ""))
        message = str(payload.get("detail", "")) or f"{self.interface.service}.{name} answered {status}"
        extra = {
            k: v for k, v in payload.items() if k not in ("type", "title", "status", "detail", "code", "request_id")
        }
        if status in (401, 403) and code.startswith(f"{self.interface.service}.internal."):
            # our own credential refused: a deployment mistake, not the caller's; loud in the log, 503 to the user
            log.error("remote.credential_refused", service=self.interface.service, status=status, code=code)
            return self.interface.unavailable(f"{self.interface.service} refused this service's credential")
        cls = self.interface.error_for(code) or _FAMILIES.get(status, ValidationFailed)
        return cls(message, code=code or None, extra=extra)


# ---- the service's side ----------------------------------------------------------------------------------------


class CallNotFound(NotFound):
    code = "internal.call_not_found"


def check_credential(authorization: str, *, accepted: Iterable[str], service: str) -> None:
    """The caller's `Authorization: Bearer <token>` against the tokens the service accepts (several during a
    rotation), compared in constant time. Missing: 401; present but not accepted: 403."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            "a service credential is required (Authorization: Bearer <token>)",
            code=f"{service}.internal.unauthenticated",
        )
    given = token.strip().encode()
    matched = False
    for candidate in accepted:
        # every candidate is compared (no early exit), so timing does not tell how many there are or which matched
        matched |= bool(candidate) and hmac.compare_digest(given, candidate.encode())
    if not matched:
        raise PermissionDenied("this service credential is not accepted", code=f"{service}.internal.forbidden")


def serve_call(interface: wire.RemoteInterface, api: ModuleType, name: str, arguments: Any) -> Any:
    """Run `api.<name>(**arguments)` for a remote caller: the arguments decoded by the function's signature (400
    `<service>.internal.invalid` naming the argument that does not fit), the result encoded for JSON."""
    if name not in interface.calls:
        raise CallNotFound(f"{interface.service} offers no call {name!r}")
    function = getattr(api, name)
    hints = _signature(function)
    if not isinstance(arguments, dict):
        raise ValidationFailed("the arguments must be a JSON object", code=f"{interface.service}.internal.invalid")
    errors: dict[str, list[str]] = {}
    kwargs: dict[str, Any] = {}
    for key in sorted(set(arguments) - set(hints)):
        errors[key] = ["is not an argument of this call"]
    for key, annotation in hints.items():
        if key not in arguments:
            if key in _required(function):
                errors[key] = ["is required"]
            continue
        try:
            kwargs[key] = wire.decode(arguments[key], annotation, key)
        except wire.WireError as exc:
            errors[exc.path] = [exc.message]
    if errors:
        raise ValidationFailed(
            f"invalid arguments for {name}", code=f"{interface.service}.internal.invalid", extra={"errors": errors}
        )
    return wire.encode(function(**kwargs))


_signatures: dict[Callable[..., Any], dict[str, Any]] = {}


def _signature(function: Callable[..., Any]) -> dict[str, Any]:
    hints = _signatures.get(function)
    if hints is None:
        hints = _signatures[function] = wire.signature_hints(function)
    return hints


def _required(function: Callable[..., Any]) -> set[str]:
    defaults = function.__kwdefaults__ or {}
    return set(_signature(function)) - set(defaults)


# ---- start-up checks of the settings (registered by apps/billing/checks.py) ------------------------------------

MIN_TOKEN_LENGTH = 32


def settings_problems(services: Iterable[str]) -> list[checks.CheckMessage]:
    """For each service: its mode is known; a remote mode has an address and a credential; and a process does not
    serve a context it calls remotely itself (it would answer from a database that is not that context's)."""
    found: list[checks.CheckMessage] = []
    for service in services:
        prefix = service.upper()
        mode = getattr(settings, f"{prefix}_API_MODE", INPROCESS)
        if mode not in (INPROCESS, REMOTE):
            found.append(
                checks.Error(f"{prefix}_API_MODE is {mode!r}", hint="use inprocess or remote", id="remote.E001")
            )
            continue
        if mode != REMOTE:
            continue
        missing = [
            f"{prefix}_{name}"
            for name in ("SERVICE_URL", "SERVICE_TOKEN")
            if not getattr(settings, f"{prefix}_{name}", "")
        ]
        if missing:
            found.append(
                checks.Error(
                    f"{prefix}_API_MODE is remote but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                    f"not set: every call into {service} would fail",
                    hint=f"set {service}'s internal address and the credential its {prefix}_SERVICE_TOKENS accepts",
                    id="remote.E002",
                )
            )
        if any(getattr(settings, f"{prefix}_SERVICE_TOKENS", ())):
            found.append(
                checks.Error(
                    f"{prefix}_SERVICE_TOKENS is set in a process whose {prefix}_API_MODE is remote: it would serve "
                    f"{service}'s internal API without {service}'s data",
                    hint=f"set {prefix}_SERVICE_TOKENS only on {service}'s own processes",
                    id="remote.E003",
                )
            )
    return found


def credential_problems(services: Iterable[str]) -> list[checks.CheckMessage]:
    """Service credentials (sent or accepted) shorter than MIN_TOKEN_LENGTH: guessable."""
    short = [
        service
        for service in services
        for token in (
            getattr(settings, f"{service.upper()}_SERVICE_TOKEN", ""),
            *getattr(settings, f"{service.upper()}_SERVICE_TOKENS", ()),
        )
        if token and len(token) < MIN_TOKEN_LENGTH
    ]
    return [
        checks.Warning(
            f"a {service} service credential is shorter than {MIN_TOKEN_LENGTH} characters",
            hint="use a random token, e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'",
            id="remote.W001",
        )
        for service in dict.fromkeys(short)
    ]
