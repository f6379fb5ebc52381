"""Which bounded contexts this process runs (`LOGITRACK_CONTEXTS`; all of them by default).

A context can run in processes of its own (billing as its own service, docs/production.md). The platform's
processes then run every context but billing, and billing's processes billing alone. A context not run here has,
in this process, no URLs (a remote one's public API is forwarded to its service), no admin pages, no subscriptions,
no periodic jobs, and no tables: the router refuses its models, so a code path that would still read or write them
in process fails at once instead of using a database that is not the context's.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from logitrack.db import contexts


class ContextNotHosted(LookupError):
    """A model of a context this process does not run was read or written."""


def hosted(context: str) -> bool:
    """True when this process runs `context` (a context's name, or an app label: Django's admin follows identity,
    whose users its log points at; the kernel's apps and Django's other shared tables run everywhere)."""
    if context not in contexts.CONTEXTS and context != "admin":
        return True
    return contexts.OWNER[context] in settings.HOSTED_CONTEXTS


def hosted_module(module: str) -> bool:
    """True for code of a context this process runs, and for code of no context (the kernel's, the tests')."""
    context = contexts.context_of_module(module)
    return context is None or hosted(context)


@checks.register()
def hosting_problems(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A process that runs only some contexts must call the others remotely and hear their events over NATS."""
    from logitrack import bus, remote

    errors: list[checks.CheckMessage] = []
    for context in contexts.CONTEXTS:
        if not hasattr(settings, f"{context.upper()}_API_MODE"):
            continue  # nothing calls this context synchronously from another process
        mode = remote.api_mode(context)
        if not hosted(context) and mode == remote.INPROCESS:
            errors.append(
                checks.Error(
                    f"{context} is not run here (LOGITRACK_CONTEXTS) but {context.upper()}_API_MODE is inprocess: "
                    f"its calls would run its code on tables this process does not have",
                    hint=f"set {context.upper()}_API_MODE=remote with {context.upper()}_SERVICE_URL and _TOKEN",
                    id="hosting.E001",
                )
            )
        if hosted(context) and mode == remote.REMOTE:
            errors.append(
                checks.Error(
                    f"{context} is run here (LOGITRACK_CONTEXTS) and called remotely ({context.upper()}_API_MODE)",
                    hint=f"leave {context} out of LOGITRACK_CONTEXTS, or call it in process",
                    id="hosting.E003",
                )
            )
    carried = set(settings.OUTBOX_NATS_SUBSCRIPTIONS)
    for sub in bus.all_subscriptions():
        publisher = sub.event_type.split(".")[1] if sub.event_type.count(".") >= 2 else ""
        if publisher in contexts.CONTEXTS and not hosted(publisher) and sub.name not in carried:
            errors.append(
                checks.Error(
                    f"{sub.name} listens to {sub.event_type}, published by {publisher}'s own processes: only NATS "
                    f"can bring it here",
                    hint=f"add {sub.name} to OUTBOX_NATS_SUBSCRIPTIONS and run outbox_consume for it",
                    id="hosting.E002",
                )
            )
    return errors
