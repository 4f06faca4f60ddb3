"""Slow clients are disconnected: a request's headers, and then its body, must arrive within
`server.read_timeout` seconds, so a few hundred connections trickling bytes cannot hold the server.

aiohttp has no header or body read timeout of its own. Its keep-alive timer does the header half
(since aiohttp 3.14.4, hence the floor in pyproject.toml): it starts when a connection opens (and
again after each response), partial headers do not reset it, and when it fires on a connection
still waiting for a complete request line and headers the connection is closed. So `keepalive_timeout` is set to the read timeout (an idle keep-alive
connection is closed after as long). The body half is `whole_body`, which the app's middleware awaits: it waits for the whole
body before the handler runs, at most the read timeout, and otherwise answers 408 and closes. Before
closing, aiohttp reads and drops what the client still sends for `lingering_time` (so the 408 is
not lost to a reset); that too is bounded by the read timeout.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)


def server_options(read_timeout: float) -> dict[str, Any]:
    """`web.run_app` keyword arguments that bound the wait for a request's headers, and the
    draining of a body that is no longer read."""
    return {"keepalive_timeout": read_timeout, "lingering_time": read_timeout}


async def whole_body(request: web.Request, read_timeout: float) -> None:
    """Wait, at most `read_timeout` seconds, for the rest of a request's body to arrive; past that,
    408 and the connection closed. Called by the app's one middleware before the handler runs, only
    for a body still arriving (most hops' bodies come with their headers)."""
    body = request.content
    # A declared body over the app's limit is left to the handler, which refuses it at once (413).
    within_limit = (request.content_length or 0) <= request.client_max_size
    if request.body_exists and within_limit and not body.is_eof():
        # Room for the whole allowed body: a stream that pauses reading when its buffer fills would never end.
        body.set_read_chunk_size(request.client_max_size)
        try:
            await asyncio.wait_for(body.wait_eof(), read_timeout)
        except TimeoutError:
            log.info("%s %s: body not received within %s s; disconnecting the client", request.method, request.path, read_timeout)
            raise web.HTTPRequestTimeout(text=f"request timeout: the request did not arrive within {read_timeout} s\n",
                                         headers={"Connection": "close"}) from None
