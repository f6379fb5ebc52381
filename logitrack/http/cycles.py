"""A request's objects freed when its response is closed, not at the next garbage collection.

DRF leaves an API request's working set in reference cycles: a `ListSerializer` and its bound child point at each
other (and the list serializer holds the page, its context and its output); the response's renderer context holds
the response itself, the view and the request; the view holds its response, its request and `head` (its own bound
`get`); the request's parser context holds the request and the view. Refcounting frees none of it, so a trip list
page's rows, uuids, fares and output (about 780 objects) waited for the collector, and young collections of ~41,000
objects paused the server 20-80 ms every ~0.7 s under load: the lists' single-client p99 (docs/benchmarks.md).
This middleware breaks those links once Django has closed the response (sent it, or handed it to the test client);
`response.data` itself stays as it was. It also drops the request's own attributes that point back at it (message
storage, lazy user, CSP nonce). With the disconnect listener's cycle gone too (`logitrack.http.asgi`), a list page
served by uvicorn leaves nothing for the collector: each request is freed by refcounting as it ends.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponseBase


def unbind(field: Any) -> None:
    """A serializer (or field) and every field bound under it: `parent` links cut, cached `fields` dropped."""
    child = getattr(field, "child", None)
    if child is not None:  # a ListSerializer's (or ListField's) child is bound to it: child.parent is the list
        child.parent = None
        unbind(child)
    bound = field.__dict__.pop("fields", None)  # a serializer's bound fields, each with .parent = the serializer
    for nested in (bound or {}).values():
        nested.parent = None
        unbind(nested)


def _serializers(data: Any) -> list[Any]:
    """The serializers behind a response's data: DRF's output (ReturnDict / ReturnList) keeps its serializer, at the
    top or, on a page, under `results`."""
    found = [getattr(data, "serializer", None)]
    if isinstance(data, dict):
        found += [getattr(value, "serializer", None) for value in data.values()]
    return [s for s in found if s is not None]


def release(response: HttpResponseBase, request: HttpRequest) -> None:
    # each holds the request that holds it: Django's message storage (its middleware has stored the messages by now),
    # the auth middleware's lazy `user` and `auser`, django-csp's lazy nonce (the header is set, the page rendered)
    for name in ("_messages", "user", "auser", "csp_nonce"):
        request.__dict__.pop(name, None)
    for serializer in _serializers(getattr(response, "data", None)):
        unbind(serializer)
    context = getattr(response, "renderer_context", None)
    if isinstance(context, dict):
        view, api_request = context.get("view"), context.get("request")  # DRF's Request, around Django's
        context.clear()  # held the response itself, the view and the request
        parser_context = getattr(api_request, "parser_context", None)
        if isinstance(parser_context, dict):
            parser_context.clear()  # held the request itself and the view
        if view is not None:
            for name in ("response", "request", "head"):  # head: Django's View.setup binds the view's own get
                view.__dict__.pop(name, None)


def ReleaseCyclesMiddleware(get_response: Callable[[HttpRequest], HttpResponseBase]) -> Callable[..., Any]:
    def middleware(request: HttpRequest) -> HttpResponseBase:
        response = get_response(request)
        # run by HttpResponseBase.close(), which Django calls once the response is sent
        response._resource_closers.append(functools.partial(release, response, request))  # type: ignore[attr-defined]
        return response

    return middleware
