"""A real S3 protocol server on loopback (moto's standalone server, as DVC's own tests use),
and a fault-injecting TCP proxy in front of it. Used by the tests and by `make demo`.

Each server is its own process on 127.0.0.1 and a free port; whoever starts it stops it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any

REGION = "us-east-1"
# Any key works on a server without authentication; these are what the tests hand to dvc.
OPEN_KEY = ("AKIATESTOPENSERVER01", "open-server-secret-never-printed-0001")
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
# Requests the authenticated server answers before it starts checking signatures: the set-up
# in `start(auth=True)` makes exactly this many.
_SETUP_REQUESTS = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class S3Server:
    """moto's S3 server in a child process. With `auth=True` it checks signatures: only
    `keys` (a user allowed s3:*) works; `denied_keys` belong to a user with no permission."""

    def __init__(self, auth: bool = False) -> None:
        self.auth = auth
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.keys = OPEN_KEY
        self.denied_keys = ("", "")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> S3Server:
        env = {**os.environ}
        if self.auth:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(_SETUP_REQUESTS)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.05)
        if self.auth:
            iam = self.client("iam")
            iam.create_user(UserName="lab")
            key = iam.create_access_key(UserName="lab")["AccessKey"]
            iam.put_user_policy(UserName="lab", PolicyName="s3", PolicyDocument=ALLOW_ALL)
            iam.create_user(UserName="visitor")
            denied = iam.create_access_key(UserName="visitor")["AccessKey"]
            self.keys = (key["AccessKeyId"], key["SecretAccessKey"])
            self.denied_keys = (denied["AccessKeyId"], denied["SecretAccessKey"])
        return self

    def client(self, service: str = "s3", keys: tuple[str, str] | None = None) -> Any:
        import boto3

        key, secret = keys or self.keys
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=key, aws_secret_access_key=secret)

    def bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class FaultProxy:
    """A TCP proxy to a server that can misbehave on demand, as real endpoints do.

    mode "pass" forwards; "500" answers every request with S3's InternalError; "slow" accepts
    and never answers; "reset" closes each connection at once.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.mode = "pass"
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.requests = 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self.sock.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        mode = self.mode
        with conn:
            if mode == "reset":
                return
            if mode == "slow":
                self._stopped.wait(120)
                return
            if mode == "500":
                body = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError'
                        b"</Code><Message>We encountered an internal error.</Message></Error>")
                conn.settimeout(5)
                while True:
                    method = _read_request(conn)
                    if method is None:
                        return
                    self.requests += 1
                    conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: "
                                 b"application/xml\r\nContent-Length: " +
                                 str(len(body)).encode() + b"\r\n\r\n" +
                                 (b"" if method == b"HEAD" else body))
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with upstream:
                pump = threading.Thread(target=_pump, args=(upstream, conn), daemon=True)
                pump.start()
                _pump(conn, upstream)
                pump.join(5)


def _read_request(conn: socket.socket) -> bytes | None:
    """Reads one request (headers and a Content-Length body) and returns its method; None
    when the peer is gone."""
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            rest += chunk
    except OSError:
        return None
    return data.split(b" ", 1)[0]


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


class WebServer:
    """A plain HTTP server on 127.0.0.1 and a free port, in a thread; whoever starts it stops
    it. mode "lie" answers 200 with an HTML page to every request (a captive portal, a
    proxy's error page, a mistyped endpoint); "files" serves `folder` as an HTTP DVC remote
    is served (GET and HEAD of the files, 404 for anything else)."""

    PAGE = (b"<!doctype html><html><head><title>Welcome</title></head><body>"
            b"<p>Please accept the terms of use to continue.</p></body></html>")

    def __init__(self, mode: str = "lie", folder: str | None = None) -> None:
        import functools
        import http.server

        self.mode, self.requests = mode, 0
        server = self

        class Lying(http.server.BaseHTTPRequestHandler):
            def _page(self, body: bool) -> None:
                server.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(WebServer.PAGE)))
                self.end_headers()
                if body:
                    self.wfile.write(WebServer.PAGE)

            def do_GET(self) -> None:
                self._page(True)

            do_POST = do_PUT = do_DELETE = do_GET

            def do_HEAD(self) -> None:
                self._page(False)

            def log_message(self, *args: Any) -> None:
                pass

        class Files(http.server.SimpleHTTPRequestHandler):
            def send_head(self) -> Any:
                server.requests += 1
                return super().send_head()

            def log_message(self, *args: Any) -> None:
                pass

        handler: Any = Lying if mode == "lie" else functools.partial(Files, directory=folder)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> WebServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(10)

    def __enter__(self) -> WebServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
