"""{{name}}: an svl function in Python, a WSGI app served by the standard library."""
import json
import os
import platform
import signal
import sys
from datetime import datetime, timezone
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIServer, make_server

NAME = "{{name}}"


def respond(start_response, status, content_type, body):
    data = body.encode()
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return [data]


def app(environ, start_response):
    """The function: any WSGI app works here (Flask, Django, ...) if you add it to the image."""
    path = environ.get("PATH_INFO", "/")
    if environ["REQUEST_METHOD"] not in ("GET", "HEAD"):
        return respond(start_response, "405 Method Not Allowed", "text/plain", "method not allowed\n")
    if path == "/":
        return respond(start_response, "200 OK", "text/plain; charset=utf-8", f"hello from {NAME}\n")
    if path == "/api/hello":
        return respond(start_response, "200 OK", "application/json", json.dumps({
            "message": f"hello from {NAME}",
            "runtime": f"python {platform.python_version()}",
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }) + "\n")
    return respond(start_response, "404 Not Found", "text/plain", "not found\n")


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per request, so a slow request does not hold up the others."""
    daemon_threads = True


def main():
    port = int(os.environ.get("PORT", "8080"))
    # Stop cleanly on SIGTERM (svl drains the replica first).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with make_server("", port, app, server_class=ThreadingWSGIServer) as server:
        print(f"{NAME} listening on :{port}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
