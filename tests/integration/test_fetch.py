"""Fetching reports by URL, against a server the test starts on 127.0.0.1.

Never the internet: every URL here names the local server. The server
counts its requests, so the tests can prove that a cached page is not
requested again.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import generate as G
import pandas as pd
import pytest
from helpers import DATA

import gicstats
from gicstats.errors import GicstatsError
from gicstats.read.fetch import Fetcher, read_url_list, user_agent

HONGZE = (DATA / "hongze_2024.pdf").read_bytes()
PINGTAN = (DATA / "pingtan_2021.txt").read_bytes()


class _Server:
    """A local HTTP server whose routes say what to answer, and how often."""

    def __init__(self) -> None:
        self.routes: dict[str, dict] = {}
        self.hits: dict[str, int] = {}
        self.agents: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path
                server.hits[path] = server.hits.get(path, 0) + 1
                server.agents.append(self.headers.get("User-Agent", ""))
                route = server.routes.get(path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                failures = route.get("fail_first", 0)
                if server.hits[path] <= failures:
                    self.send_response(route.get("fail_status", 503))
                    if route.get("retry_after") is not None:
                        self.send_header("Retry-After", str(route["retry_after"]))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if route.get("delay") and server.hits[path] <= route.get("slow_first", 10**6):
                    time.sleep(route["delay"])
                body = route["body"]
                self.send_response(200)
                self.send_header("Content-Type", route.get("type", "application/octet-stream"))
                if not route.get("hide_length"):
                    self.send_header("Content-Length", str(route.get("length", len(body))))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = _Server()
    yield srv
    srv.close()


def fetcher(tmp_path: Path, **options) -> Fetcher:
    options = {"timeout": 2.0, "retries": 3, "backoff": 0.01, "min_interval": 0.0, **options}
    return Fetcher(tmp_path / "cache", **options)


def test_read_report_from_a_url_is_cached(server, tmp_path):
    server.routes["/2024/hongze.pdf"] = {"body": HONGZE, "type": "application/pdf"}
    url = server.url("/2024/hongze.pdf")
    first = gicstats.read_report(url, cache=tmp_path / "cache")
    assert (first.agency, first.year, first.template_version) == ("淮安市洪泽区人民政府", 2024, "2021")
    assert first.source == url
    assert first.value("applications", "new_received", "total") == 95
    second = gicstats.read_report(url, cache=tmp_path / "cache")
    assert server.hits == {"/2024/hongze.pdf": 1}  # the second read made no request
    assert second.sha256 == first.sha256
    pd.testing.assert_frame_equal(second.cells, first.cells)
    # cached by URL and by content hash
    entries = list((tmp_path / "cache" / "urls").glob("*.json"))
    assert len(entries) == 1
    entry = json.loads(entries[0].read_text(encoding="utf-8"))
    assert (entry["url"], entry["sha256"], entry["content_type"]) == (url, first.sha256, "application/pdf")
    assert (tmp_path / "cache" / "pages" / f"{first.sha256}.pdf").read_bytes() == HONGZE


def test_user_agent_names_gicstats_and_its_version(server, tmp_path):
    server.routes["/a.txt"] = {"body": PINGTAN, "type": "text/plain"}
    fetcher(tmp_path).fetch(server.url("/a.txt"))
    assert server.agents == [user_agent()]
    assert user_agent().startswith(f"gicstats/{gicstats.__version__} (")


def test_server_charset_is_used(server, tmp_path):
    html = G.render_html(G.zero_values("2021"), "2021", "某县政府", 2022).replace('<meta charset="utf-8">', "")
    server.routes["/gbk.html"] = {"body": html.encode("gbk"), "type": "text/html; charset=GBK"}
    page = fetcher(tmp_path).fetch(server.url("/gbk.html"))
    assert page.charset == "gbk"
    report = gicstats.read_report(server.url("/gbk.html"), cache=tmp_path / "cache")
    assert report.agency == "某县政府"


def test_retries_with_backoff_then_succeeds(server, tmp_path):
    server.routes["/flaky.txt"] = {"body": PINGTAN, "fail_first": 2, "fail_status": 503}
    started = time.monotonic()
    page = fetcher(tmp_path, backoff=0.2).fetch(server.url("/flaky.txt"))
    assert page.data == PINGTAN and not page.from_cache
    assert server.hits["/flaky.txt"] == 3
    assert time.monotonic() - started >= 0.2 + 0.4  # backoff 0.2 s, then doubled


def test_retries_are_bounded(server, tmp_path):
    server.routes["/down.txt"] = {"body": b"", "fail_first": 100, "fail_status": 500}
    with pytest.raises(GicstatsError) as info:
        fetcher(tmp_path, retries=3).fetch(server.url("/down.txt"))
    assert str(info.value) == f"{server.url('/down.txt')}: HTTP 500 Internal Server Error (gave up after 3 tries)"
    assert server.hits["/down.txt"] == 3
    assert not (tmp_path / "cache" / "urls").exists()  # nothing cached


def test_retry_after_is_honoured(server, tmp_path):
    server.routes["/busy.txt"] = {"body": PINGTAN, "fail_first": 1, "fail_status": 429, "retry_after": 1}
    started = time.monotonic()
    fetcher(tmp_path).fetch(server.url("/busy.txt"))
    assert time.monotonic() - started >= 1.0
    assert server.hits["/busy.txt"] == 2


def test_404_fails_at_once(server, tmp_path):
    with pytest.raises(GicstatsError) as info:
        fetcher(tmp_path).fetch(server.url("/missing.pdf"))
    assert str(info.value) == f"{server.url('/missing.pdf')}: HTTP 404 Not Found"
    assert server.hits == {"/missing.pdf": 1}


def test_timeout_is_retried_then_reported(server, tmp_path):
    server.routes["/slow.txt"] = {"body": PINGTAN, "delay": 1.5}
    started = time.monotonic()
    with pytest.raises(GicstatsError) as info:
        fetcher(tmp_path, timeout=0.3, retries=2).fetch(server.url("/slow.txt"))
    assert str(info.value) == f"{server.url('/slow.txt')}: timed out after 0.3 s (gave up after 2 tries)"
    assert server.hits["/slow.txt"] == 2
    assert time.monotonic() - started < 1.5 * 2  # did not wait for the slow answers


def test_slow_first_answer_then_a_quick_one(server, tmp_path):
    server.routes["/once-slow.txt"] = {"body": PINGTAN, "delay": 1.0, "slow_first": 1}
    page = fetcher(tmp_path, timeout=0.3).fetch(server.url("/once-slow.txt"))
    assert page.data == PINGTAN
    assert server.hits["/once-slow.txt"] == 2


def test_oversize_announced_is_refused_before_the_body(server, tmp_path):
    server.routes["/big.pdf"] = {"body": HONGZE, "type": "application/pdf"}
    with pytest.raises(GicstatsError) as info:
        fetcher(tmp_path, max_bytes=100_000).fetch(server.url("/big.pdf"))
    assert str(info.value) == (
        f"{server.url('/big.pdf')}: page is {len(HONGZE)} bytes, over the limit of 100000 (GICSTATS_MAX_BYTES)"
    )
    assert server.hits["/big.pdf"] == 1  # a size error is not retried


def test_oversize_without_length_is_cut_off(server, tmp_path):
    server.routes["/stream.pdf"] = {"body": HONGZE, "hide_length": True}
    with pytest.raises(GicstatsError) as info:
        fetcher(tmp_path, max_bytes=100_000).fetch(server.url("/stream.pdf"))
    assert str(info.value) == (
        f"{server.url('/stream.pdf')}: page is over the limit of 100000 bytes (GICSTATS_MAX_BYTES)"
    )


def test_only_http_urls(tmp_path):
    with pytest.raises(GicstatsError, match=r"^file:///etc/passwd: not an http:// or https:// URL$"):
        fetcher(tmp_path).fetch("file:///etc/passwd")


def test_damaged_cache_entry_is_fetched_again(server, tmp_path):
    server.routes["/r.txt"] = {"body": PINGTAN}
    f = fetcher(tmp_path)
    page = f.fetch(server.url("/r.txt"))
    page.path.write_bytes(b"not the page")  # the content no longer matches its hash
    again = f.fetch(server.url("/r.txt"))
    assert again.data == PINGTAN and not again.from_cache
    assert server.hits["/r.txt"] == 2
    assert f.fetch(server.url("/r.txt")).from_cache


def test_url_list(tmp_path):
    path = tmp_path / "urls.txt"
    path.write_text("# reports\nhttp://127.0.0.1:1/a.pdf\n\n  https://127.0.0.1:1/b.html  \n", encoding="utf-8")
    assert read_url_list(path) == ["http://127.0.0.1:1/a.pdf", "https://127.0.0.1:1/b.html"]
    path.write_text("http://127.0.0.1:1/a.pdf\nftp://x/y\n", encoding="utf-8")
    with pytest.raises(GicstatsError, match="line 2 is not an http:// or https:// URL"):
        read_url_list(path)


def test_build_from_urls_makes_no_second_request(server, tmp_path):
    server.routes["/nb/hongze_2024.pdf"] = {"body": HONGZE, "type": "application/pdf"}
    server.routes["/nb/pingtan_2021.txt"] = {"body": PINGTAN, "type": "text/plain; charset=utf-8"}
    urls = tmp_path / "urls.txt"
    listed = [server.url("/nb/hongze_2024.pdf"), server.url("/nb/pingtan_2021.txt"), server.url("/nb/gone.html")]
    urls.write_text("\n".join(listed) + "\n", encoding="utf-8")
    corpus = tmp_path / "corpus"

    def build() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "gicstats.cli", "build", "--urls", str(urls), "-o", str(corpus), "-j", "1"],
            capture_output=True,
            text=True,
            timeout=300,
        )

    first = build()
    assert first.returncode == 1, first.stderr  # one URL could not be read
    assert first.stderr.splitlines() == [f"gicstats: {listed[2]}: HTTP 404 Not Found"]
    assert first.stdout.strip() == f"{corpus}: 2 files (2 read, 0 unchanged), 1 could not be read"
    reports = pd.read_parquet(corpus / "reports.parquet")
    by_source = reports.set_index("source")
    assert by_source.loc[listed[0], "agency"] == "淮安市洪泽区人民政府"
    assert by_source.loc[listed[0], "format"] == "pdf"
    assert by_source.loc[listed[1], "year"] == 2021
    assert (corpus / "cache" / "urls").is_dir()  # the cache sits in the corpus folder
    second = build()
    assert second.stdout.strip() == f"{corpus}: 2 files (0 read, 2 unchanged), 1 could not be read"
    # the pages were fetched once; only the missing one is asked for again
    assert server.hits == {"/nb/hongze_2024.pdf": 1, "/nb/pingtan_2021.txt": 1, "/nb/gone.html": 2}


def test_parse_command_reads_a_url(server, tmp_path, monkeypatch):
    from gicstats.cli import main

    server.routes["/r.pdf"] = {"body": HONGZE, "type": "application/pdf"}
    monkeypatch.setenv("GICSTATS_CACHE", str(tmp_path / "cache"))
    assert main(["parse", server.url("/r.pdf"), "--format", "csv"]) == 0
    assert main(["parse", server.url("/missing.pdf")]) == 2  # cannot be read: 2, as for a missing file
    assert server.hits["/r.pdf"] == 1
