"""python-telegram-bot's HTTP requests on aiohttp, so a backlog of sends queues at a constant cost.

PTB's default request runs on httpx, whose pool (httpcore) assigns connections by probing every
pooled connection and walking every waiting request on each pass (encode/httpcore#1035). After a
burst of updates thousands of replies wait on a bot's connections, and that work, quadratic in the
queue, took most of the gateway's CPU while replies left at a fraction of the bot's rate; even with
no more requests in flight than connections, an httpx call cost several times an aiohttp one. aiohttp,
which the gateway already serves with, queues requests waiting for a connection first come, first
served, at a constant cost each.

The answers are what PTB's own request gives its callers: the status and body for PTB to read
(errors, 429s with `retry_after`), `TimedOut` when a timeout passes (the connection pool's wait
included, as PTB's pool timeout: such a request was not sent) and `NetworkError` when the Bot API
cannot be reached. Only what the gateway sends is supported: form parameters, no file uploads.
"""

from __future__ import annotations

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
"""The body's type, given with the body already encoded: from a dict aiohttp builds a multipart
writer (and a random boundary) before it finds the form needs none, a tenth of the gateway's CPU
under load."""


def form_body(request_data: RequestData) -> bytes:
    """The parameters as an urlencoded form, by yarl's quoter (C): PTB's `url_encoded_parameters`
    runs urllib's `quote_plus`, a Python call per byte, about 400k instructions for a Persian menu
    with its keyboard (callgrind), against 56k here. The same form once decoded: spaces as `+`,
    `&`, `=`, `+`, `%` and non-ASCII escaped; only characters a form leaves as they are (`/`, `:`,
    `?`, `@`) are left unescaped where urllib escaped them."""
    return URL.build(query=request_data.json_parameters).raw_query_string.encode()


class AiohttpRequest(BaseRequest):
    """Bot API calls over one aiohttp session of `connection_pool_size` connections."""

    def __init__(self, connection_pool_size: int, *, connect_timeout: float, read_timeout: float, pool_timeout: float | None = None) -> None:
        self._size = connection_pool_size
        self._connect = connect_timeout
        self._read = read_timeout
        self._pool = connect_timeout if pool_timeout is None else pool_timeout
        self._session: ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        """The read timeout of a call that names none (PTB adds a long poll's own `timeout` to it)."""
        return self._read

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown); a second call changes nothing."""
        if self._session is None or self._session.closed:
            self._session = ClientSession(connector=TCPConnector(limit=self._size), headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Status and body of one call. aiohttp has no write timeout: the read timeout bounds a stalled upload too."""
        if self._session is None:
            raise RuntimeError("AiohttpRequest used before initialize()")
        if request_data is not None and request_data.contains_files:
            raise NetworkError("this gateway's Bot API requests upload no files")
        connect = self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        # `connect` in aiohttp is the wait for a pooled connection plus opening one
        timeout = ClientTimeout(connect=None if pool is None or connect is None else pool + connect, sock_connect=connect, sock_read=read)
        try:
            async with self._session.request(method, url, data=form_body(request_data) if request_data else None,
                                             headers=FORM if request_data else None, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's timeout errors derive from it
            raise TimedOut(f"aiohttp.{type(error).__name__}: the Bot API did not answer in time") from error
        except ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error
