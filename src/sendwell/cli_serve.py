"""What ``sendwell serve`` does before serving: take the port, learn its own address, and
print the demo banner. The port is bound first so that a taken one is said plainly, before
anything claims that Sendwell is ready."""

from __future__ import annotations

import errno
import socket
from dataclasses import replace

from rich.console import Console

from sendwell.config import Settings
from sendwell.services.demo import DemoCredentials

# Addresses that mean "every interface": links must name one a browser can reach instead.
_WILDCARDS = {"", "0.0.0.0", "::", "[::]"}


class PortUnavailable(Exception):
    """The address cannot be listened on; the message says why and what to do instead."""


def listen(host: str, port: int) -> socket.socket:
    """A socket bound and listening on ``host:port``, or PortUnavailable naming the problem."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    # As uvicorn does: a port left in TIME_WAIT by the last run may be reused, a live one not.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise PortUnavailable(_why(exc, host, port)) from None
    sock.set_inheritable(True)
    return sock


def _why(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        hint = _free_port_near(host, port)
        return (
            f"port {port} on {host} is already in use (another Sendwell, or another program). "
            f"Choose another port with --port, e.g. --port {hint}"
        )
    if exc.errno == errno.EACCES:
        return (
            f"not allowed to listen on port {port} on {host} (ports below 1024 need privileges). "
            "Choose another port with --port, e.g. --port 8080"
        )
    return f"cannot listen on {host}:{port}: {exc.strerror}. Check --host and --port"


def _free_port_near(host: str, port: int) -> int:
    """The first port after ``port`` that is free now (a suggestion, not a reservation)."""
    for candidate in range(port + 1, min(port + 50, 65536)):
        try:
            listen(host, candidate).close()
        except PortUnavailable:
            continue
        return candidate
    return 8081 if port != 8081 else 8082


def served_url(host: str, port: int) -> str:
    """The base URL of ``host:port`` as a browser on this machine reaches it."""
    if host in _WILDCARDS:
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def with_served_address(settings: Settings, host: str, port: int) -> Settings:
    """Settings whose links in messages point at where this server listens, unless configured.

    Without ``SENDWELL_TRACKING_BASE_URL`` or ``SENDWELL_PUBLIC_URL``, the click, open and
    unsubscribe links are written with the address ``serve`` listens on (``--host``/``--port``).
    """
    if settings.tracking_base_url or settings.public_url:
        return settings
    return replace(settings, tracking_base_url=served_url(host, port))


def print_demo(console: Console, base: str, creds: DemoCredentials) -> None:
    """The demo banner: endpoints and credentials, one plain line each."""
    console.print("[bold green]Sendwell is ready[/bold green] (demo account)")
    rows = [
        ("SOAP endpoint", f"{base}/Service.asmx"),
        ("WSDL", f"{base}/etframework.wsdl"),
        ("Auth URL (v2)", f"{base}/v2/token"),
        ("Auth URL (legacy)", f"{base}/v1/requestToken"),
        ("REST base", f"{base}/"),
        ("API docs", f"{base}/docs"),
        ("Account (MID)", str(creds.mid)),
        ("Child unit (MID)", "100002 (PerformOptions Client/ID; its own Definition_Key)"),
        ("API username", creds.username),
        ("API password", creds.password),
        ("Client ID", creds.client_id),
        ("Client secret", creds.client_secret),
        ("Send definition (SOAP)", "CustomerKey Definition_Key"),
        ("Send API", f"{base}/data/v1/integration/send/salesforce/email"),
        ("Send API definition", "ExternalKey Demo_Salesforce_Send (demo CRM campaign)"),
        ("Triggered send (SOAP)", "TriggeredSendDefinition CustomerKey Demo_Triggered"),
        ("Transactional API", f"{base}/messaging/v1/email/messages  (definitionKey demo-order)"),
        ("Captured mail", f"{base}/capture/v1/messages (Bearer token), or: sendwell captured"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        # Plain lines, never truncated: these get copied into client configurations.
        console.print(f"  {name:<{width}}  {value}", soft_wrap=True, highlight=False)
