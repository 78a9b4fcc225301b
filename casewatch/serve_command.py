"""`casewatch serve`: the review page, on a socket bound before it is announced, so a busy port is one
line and exit code 1."""

from __future__ import annotations

import errno
import socket

import click

from casewatch.app import App
from casewatch.echo import fail


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.pass_obj
def serve(app: App, host: str, port: int) -> None:
    """The review page: dashboard, change log with diffs, timeline, outbox, JSON API and Atom feeds."""
    import uvicorn

    from casewatch.web.app import create_app, serve_refusal, serve_warnings
    from casewatch.web.auth import AuthConfig
    from config.settings import read_settings

    auth = AuthConfig.from_settings(read_settings(), base_url=app.settings.base_url)  # bad CASEWATCH_REVIEWERS: exit 1
    if (refusal := serve_refusal(host, auth)) is not None:
        fail(refusal)
    listening = listen(host, port)  # a busy port is one line and exit 1, before anything is announced
    for line in serve_warnings(host, auth):
        click.echo(f"casewatch: {line}", err=True)
    web = create_app(app, auth=auth)
    port = listening.getsockname()[1]
    click.echo(f"casewatch review page on http://{host}:{port}/ ({app.db.display_url}); Ctrl-C stops", err=True)
    config = uvicorn.Config(web, host=host, port=port, log_level="warning", proxy_headers=False,
                            server_header=False)
    uvicorn.Server(config).run(sockets=[listening])


def listen(host: str, port: int) -> socket.socket:
    """The review page's listening socket, bound before the page is announced."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        fail(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: restart over TIME_WAIT
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        busy = " (another program uses it: stop it or choose --port)" if exc.errno == errno.EADDRINUSE else ""
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}{busy}")
    sock.set_inheritable(True)
    return sock
