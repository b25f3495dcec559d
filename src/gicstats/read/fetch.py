"""Fetching report pages and attachments by URL, politely, with a disk cache.

``fetch(url)`` gets one page with the standard library (``urllib``):

- a timeout on connecting and on every read, and on the whole download;
- a size limit (``MAX_BYTES`` of :mod:`gicstats.sources`): a page that
  announces a larger ``Content-Length`` is refused before its body is read,
  and a download is cut off as soon as it passes the limit;
- a User-Agent naming gicstats and its version;
- bounded retries with exponential backoff on connection errors, timeouts,
  HTTP 429 and 5xx (a ``Retry-After`` of a few seconds is honoured); other
  HTTP errors such as 404 fail at once;
- only ``http`` and ``https``.

Each page is cached on disk by URL and by content hash: ``urls/<hash of the
URL>.json`` records the URL, the content's SHA-256, its type and when it was
fetched, and ``pages/<sha256><suffix>`` holds the bytes. A URL already in the
cache is answered from disk with no request, so a rebuild of a corpus makes
no second request; ``refresh=True`` fetches again. Files are written
atomically, so an interrupted run leaves no half page behind.

The cache folder is ``cache_dir`` if given, else ``$GICSTATS_CACHE``, else
``~/.cache/gicstats``; ``gicstats build --urls`` puts it in the corpus
folder (``<corpus>/cache``) unless told otherwise.
"""

from __future__ import annotations

import datetime as dt
import email.message
import hashlib
import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from gicstats.errors import GicstatsError
from gicstats.paths import write_atomic
from gicstats.read.sources import MAX_BYTES

TIMEOUT = 30.0  # seconds, per connection attempt and per read
RETRIES = 3  # attempts in all, the first included
BACKOFF = 1.0  # seconds before the second attempt; doubles after each
MAX_BACKOFF = 30.0
_CHUNK = 1 << 16
_SUFFIXES = {
    "application/pdf": ".pdf",
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/plain": ".txt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}


def user_agent() -> str:
    """``gicstats/<version>``, plus what it is for."""
    from gicstats._version import __version__

    return f"gicstats/{__version__} (reader of government information disclosure annual reports; Python urllib)"


def default_cache_dir() -> Path:
    """``$GICSTATS_CACHE``, else ``~/.cache/gicstats``."""
    if os.environ.get("GICSTATS_CACHE"):
        return Path(os.environ["GICSTATS_CACHE"])
    return Path.home() / ".cache" / "gicstats"


@dataclass(frozen=True)
class Page:
    """A fetched page.

    Attributes:
        url: The URL asked for.
        data: The bytes.
        sha256: Their hash.
        path: Where the bytes are cached.
        content_type: The server's media type (``application/pdf``), if any.
        charset: The charset the server declared, if any.
        from_cache: True when no request was made.
    """

    url: str
    data: bytes
    sha256: str
    path: Path
    content_type: str | None
    charset: str | None
    from_cache: bool


class Fetcher:
    """Fetches pages with one set of options and one cache.

    Args:
        cache_dir: The cache folder (see the module docstring).
        timeout: Seconds allowed for connecting and for each read; the whole
            download may take four times as long.
        retries: Attempts in all, the first included (at least 1).
        backoff: Seconds before the second attempt; doubled after each.
        max_bytes: Largest page accepted.
        min_interval: Seconds between two requests to the same host.
    """

    def __init__(
        self,
        cache_dir: str | os.PathLike | None = None,
        *,
        timeout: float = TIMEOUT,
        retries: int = RETRIES,
        backoff: float = BACKOFF,
        max_bytes: int | None = None,
        min_interval: float = 1.0,
    ) -> None:
        """Keep the options; nothing is fetched, and the cache folder is not made yet."""
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.timeout = timeout
        self.retries = max(1, int(retries))
        self.backoff = backoff
        self.max_bytes = MAX_BYTES if max_bytes is None else max_bytes
        self.min_interval = min_interval
        self._last_request: dict[str, float] = {}
        self._opener = urllib.request.build_opener()

    # -- cache ---------------------------------------------------------------
    def _index_path(self, url: str) -> Path:
        return self.cache_dir / "urls" / f"{hashlib.sha256(url.encode('utf-8')).hexdigest()[:40]}.json"

    def cached(self, url: str) -> Page | None:
        """The cached page of ``url``, if it is there and intact."""
        index = self._index_path(url)
        try:
            entry = json.loads(index.read_text(encoding="utf-8"))
            path = self.cache_dir / "pages" / entry["file"]
            data = path.read_bytes()
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if entry.get("url") != url or hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            return None  # a damaged or foreign entry: fetch again
        return Page(url, data, entry["sha256"], path, entry.get("content_type"), entry.get("charset"), True)

    def _store(self, url: str, data: bytes, content_type: str | None, charset: str | None) -> Page:
        sha = hashlib.sha256(data).hexdigest()
        name = sha + _suffix(url, content_type)
        path = self.cache_dir / "pages" / name
        write_atomic(path, lambda tmp: tmp.write_bytes(data))  # also replaces a damaged copy
        entry = {
            "url": url,
            "sha256": sha,
            "file": name,
            "content_type": content_type,
            "charset": charset,
            "bytes": len(data),
            "fetched": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        text = json.dumps(entry, ensure_ascii=False, indent=1)
        write_atomic(self._index_path(url), lambda tmp: tmp.write_text(text, encoding="utf-8"))
        return Page(url, data, sha, path, content_type, charset, False)

    # -- fetching --------------------------------------------------------------
    def fetch(self, url: str, *, refresh: bool = False) -> Page:
        """The page at ``url``, from the cache when it is there.

        Raises:
            GicstatsError: naming the URL: not http(s), HTTP error, too
                large, timed out or unreachable after the retries.
        """
        parts = urllib.parse.urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise GicstatsError(url, "not an http:// or https:// URL")
        if not refresh:
            page = self.cached(url)
            if page is not None:
                return page
        last_problem = ""
        for attempt in range(self.retries):
            if attempt:
                time.sleep(min(self.backoff * 2 ** (attempt - 1), MAX_BACKOFF))
            self._wait_for_host(parts.netloc)
            try:
                data, content_type, charset = self._get(url)
            except _Retry as exc:
                last_problem = exc.problem
                if exc.retry_after is not None:
                    time.sleep(min(exc.retry_after, MAX_BACKOFF))
                continue
            return self._store(url, data, content_type, charset)
        tries = f"{self.retries} tries" if self.retries > 1 else "1 try"
        raise GicstatsError(url, f"{last_problem} (gave up after {tries})")

    def _wait_for_host(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None:
            wait = self.min_interval - (time.monotonic() - last)
            if wait > 0:
                time.sleep(wait)
        self._last_request[host] = time.monotonic()

    def _get(self, url: str) -> tuple[bytes, str | None, str | None]:
        """One attempt: the page's bytes, its content type and its declared charset.

        Raises:
            _Retry: a failure worth another try (timeouts, broken connections,
                HTTP 429 and 5xx).
            GicstatsError: a failure that another try would not mend, such as
                HTTP 404 or a page over ``max_bytes``.
        """
        response = self._open(url)
        with response:
            length = response.headers.get("Content-Length")
            if length and length.strip().isdigit() and int(length) > self.max_bytes:
                raise GicstatsError(
                    url, f"page is {int(length)} bytes, over the limit of {self.max_bytes} (GICSTATS_MAX_BYTES)"
                )
            content_type = response.headers.get_content_type() if response.headers.get("Content-Type") else None
            charset = response.headers.get_content_charset()
            body = self._read_body(url, response)
        return body, content_type, charset

    def _open(self, url: str):
        """The response to a GET of ``url``, its failures sorted into retries and refusals."""
        request = urllib.request.Request(
            url, headers={"User-Agent": user_agent(), "Accept": "*/*", "Accept-Encoding": "identity"}
        )
        try:
            return self._opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            problem = f"HTTP {exc.code} {exc.reason}"
            if exc.code == 429 or exc.code >= 500:
                raise _Retry(problem, _retry_after(exc.headers)) from None
            raise GicstatsError(url, problem) from None
        except TimeoutError:
            raise _Retry(f"timed out after {self.timeout:g} s") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise _Retry(f"timed out after {self.timeout:g} s") from None
            raise _Retry(f"cannot connect ({reason})") from None
        except (ConnectionError, OSError) as exc:
            raise _Retry(f"connection failed ({exc})") from None

    def _read_body(self, url: str, response) -> bytes:
        """The body of ``response``, read a chunk at a time within ``max_bytes`` and four timeouts."""
        deadline = time.monotonic() + 4 * self.timeout
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_bytes:
                    raise GicstatsError(url, f"page is over the limit of {self.max_bytes} bytes (GICSTATS_MAX_BYTES)")
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise _Retry(f"download took longer than {4 * self.timeout:g} s")
        except TimeoutError:
            raise _Retry(f"timed out after {self.timeout:g} s while reading") from None
        except (ConnectionError, OSError) as exc:
            raise _Retry(f"connection broke while reading ({exc})") from None
        except Exception as exc:  # http.client.IncompleteRead and kin
            if isinstance(exc, (GicstatsError, _Retry)):
                raise
            raise _Retry(f"download broke off ({type(exc).__name__})") from None
        return b"".join(chunks)


class _Retry(Exception):
    """A failure worth another try."""

    def __init__(self, problem: str, retry_after: float | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after


def _retry_after(headers: email.message.Message | None) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


def _suffix(url: str, content_type: str | None) -> str:
    suffix = Path(urllib.parse.urlsplit(url).path).suffix.lower()
    if suffix in (".pdf", ".html", ".htm", ".txt", ".docx", ".xlsx", ".doc", ".xls"):
        return suffix
    return _SUFFIXES.get(content_type or "", "")


_FETCHERS: dict[Path, Fetcher] = {}


def fetch(url: str, *, cache_dir: str | os.PathLike | None = None, refresh: bool = False, **options) -> Page:
    """Fetch one page (see :class:`Fetcher` for ``options``), from the cache when it is there.

    Fetchers with default options are kept per cache folder, so successive
    calls space their requests to a host.
    """
    if options:
        return Fetcher(cache_dir, **options).fetch(url, refresh=refresh)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    fetcher = _FETCHERS.get(folder)
    if fetcher is None:
        fetcher = _FETCHERS[folder] = Fetcher(folder)
    return fetcher.fetch(url, refresh=refresh)


def read_url_list(path: str | os.PathLike) -> list[str]:
    """The URLs of a list file: one a line; blank lines and ``#`` comments skipped.

    Raises:
        GicstatsError: if the file cannot be read or a line is not a URL.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise GicstatsError(path, "no such URL list file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GicstatsError(path, f"cannot read URL list ({exc})") from None
    urls = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        scheme = urllib.parse.urlsplit(line).scheme.lower()
        if scheme not in ("http", "https"):
            raise GicstatsError(path, f"line {number} is not an http:// or https:// URL: {line[:80]!r}")
        urls.append(line)
    return urls
