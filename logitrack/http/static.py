"""Static files in front of the views, without sending every other request through a thread."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponseBase
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):  # type: ignore[misc]  # whitenoise ships no types
    """WhiteNoise, async capable. WhiteNoise's middleware is sync only, so under ASGI Django ran it in a thread and
    everything below it (the other middleware and the view) behind a second hop back to the event loop, on every
    request, static or not. Here a request for no static file goes straight on; looking a file up on disk (the
    development server's autorefresh) and serving one still run in a thread, as they read files."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(get_response, *args, **kwargs)
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)
        # with autorefresh a file can only be found under these (the finders serve under the static prefix)
        self._prefixes = tuple(prefix for _root, prefix in self.directories)
        if self.use_finders:
            self._prefixes += (self.static_prefix,)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self._async:
            return self.__acall__(request)
        response: HttpResponseBase = super().__call__(request)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        path = request.path_info
        if not self.autorefresh:
            static_file = self.files.get(path)  # a dict of what collectstatic wrote, read at start-up
        elif path.startswith(self._prefixes):
            static_file = await sync_to_async(self.find_file)(path)
        else:
            static_file = None
        response: HttpResponseBase
        if static_file is not None:
            response = await sync_to_async(self.serve)(static_file, request)
        else:
            response = await self.get_response(request)
        return response
