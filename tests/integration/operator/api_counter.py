"""A counting proxy between the operator and the API server: every request it makes, recorded.

The API server's own request metrics carry no client identity, and the test cluster is shared,
so the operator under test gets a kubeconfig that points here (plain HTTP on 127.0.0.1, no
credentials); this proxy forwards each request with the harness's admin credentials and streams
the answer back (watches included), recording the method and path on the way.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, config

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "host"})


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS

    @property
    def is_watch(self) -> bool:
        return "watch=true" in self.query or "watch=1" in self.query

    def __str__(self) -> str:
        return f"{self.method} {self.path}{'?' + self.query if self.query else ''}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a watch cut short by `stop`, or by the operator going away


class ApiCounter:
    """`start()` serves on a free local port; `requests` is what went through, in order."""

    def __init__(self, upstream_kubeconfig: str) -> None:
        cfg = client.Configuration()
        config.load_kube_config(config_file=upstream_kubeconfig, client_configuration=cfg)  # type: ignore[no-untyped-call]
        url = urllib.parse.urlsplit(cfg.host)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 443
        self.context = ssl.create_default_context(cafile=cfg.ssl_ca_cert)
        if cfg.cert_file:
            self.context.load_cert_chain(cfg.cert_file, cfg.key_file)
        token = cfg.get_api_key_with_prefix("BearerToken") or cfg.get_api_key_with_prefix(
            "authorization"
        )
        self.auth = {"Authorization": token} if token else {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._upstreams: set[http.client.HTTPSConnection] = set()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def kubeconfig(self, path: Path) -> Path:
        """A kubeconfig that sends everything through this proxy."""
        doc: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "counted", "cluster": {"server": self.url}}],
            "users": [{"name": "counted", "user": {}}],
            "contexts": [{"name": "counted", "context": {"cluster": "counted", "user": "counted"}}],
            "current-context": "counted",
        }
        path.write_text(yaml.safe_dump(doc))
        return path

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            upstreams = list(self._upstreams)
        for conn in upstreams:  # open watches: end them now, not at the server's timeout
            if conn.sock is not None:  # a shutdown wakes the thread reading it (close would wait)
                with contextlib.suppress(OSError):
                    conn.sock.shutdown(socket.SHUT_RDWR)

    def since(self, mark: int) -> list[Request]:
        with self._lock:
            return list(self.requests[mark:])

    def mark(self) -> int:
        with self._lock:
            return len(self.requests)

    def _record(self, method: str, target: str) -> None:
        url = urllib.parse.urlsplit(target)
        with self._lock:
            self.requests.append(Request(method, url.path, url.query))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        counter = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                counter._record(self.command, self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                upstream = http.client.HTTPSConnection(
                    counter.host, counter.port, context=counter.context
                )
                with counter._lock:
                    counter._upstreams.add(upstream)
                try:
                    upstream.request(
                        self.command, self.path, body=body, headers={**headers, **counter.auth}
                    )
                    response = upstream.getresponse()
                    self.send_response(response.status, response.reason)
                    for key, value in response.getheaders():
                        if key.lower() not in _HOP_BY_HOP:
                            self.send_header(key, value)
                    if response.chunked:  # a watch, or a long list: stream it as it comes
                        self.send_header("Transfer-Encoding", "chunked")
                        self.end_headers()
                        while data := response.read1(65536):
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                            self.wfile.flush()
                        self.wfile.write(b"0\r\n\r\n")
                    else:
                        data = response.read()
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data)
                    self.wfile.flush()
                except OSError:
                    self.close_connection = True
                finally:
                    upstream.close()
                    with counter._lock:
                        counter._upstreams.discard(upstream)

            # http.server dispatches on these names
            def do_GET(self) -> None:
                self._forward()

            def do_POST(self) -> None:
                self._forward()

            def do_PUT(self) -> None:
                self._forward()

            def do_PATCH(self) -> None:
                self._forward()

            def do_DELETE(self) -> None:
                self._forward()

        return Handler
