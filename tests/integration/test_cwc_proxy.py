"""The adapter honours the proxy of its environment (HTTP_PROXY, NO_PROXY), read once when it is
made rather than at every call."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from adapters.caseware_cloud.client import CwcHttpClient
from adapters.caseware_cloud.errors import CwcUnavailable


class _Proxy(BaseHTTPRequestHandler):
    """A forward proxy that answers itself: it notes each request line's target."""

    seen: list[str] = []

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append(self.path)
        token = self.path.endswith("/auth/token")
        body = json.dumps({"Token": "proxied-token-123"} if token else {"Id": 7}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def proxy():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    _Proxy.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Proxy.seen
    server.shutdown()
    server.server_close()


def test_calls_go_through_the_proxy_of_the_environment(proxy, monkeypatch):
    url, seen = proxy
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = CwcHttpClient("http://cwc.invalid/api", "id", "secret")

    assert client.request("GET", "entities/abc") == {"Id": 7}
    assert seen == ["http://cwc.invalid/api/auth/token", "http://cwc.invalid/api/entities/abc"]


def test_no_proxy_keeps_its_hosts_direct(proxy, monkeypatch):
    url, seen = proxy
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.setenv("NO_PROXY", "cwc.invalid")
    client = CwcHttpClient("http://cwc.invalid/api", "id", "secret", connect_timeout=0.5)

    with pytest.raises(CwcUnavailable):  # cwc.invalid does not resolve: the call went direct
        client.request("GET", "entities/abc")
    assert seen == []
