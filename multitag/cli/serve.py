"""``multitag serve P``: the annotation page with the active-learning loop inside."""
from __future__ import annotations

import ipaddress
import secrets

import click

from multitag.cli import main
from multitag.errors import MultitagError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_share(text: str) -> float:
    """``10%`` or ``0.1`` as a share between 0 and 1."""
    try:
        share = float(text[:-1]) / 100 if text.strip().endswith("%") else float(text)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise MultitagError(f"--overlap must be a share such as 10% or 0.1, not {text!r}")
    return share


@main.command("serve")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; another than loopback needs a token.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--token", default=None, help="Every request must carry it (Authorization: Bearer, or ?token= once for the "
                                            "page: the browser stays signed in). Generated and printed when --host is "
                                            "not loopback.")
@click.option("--budget", default=200, show_default=True, type=int, help="Tokens per round (the queue a retrain refills).")
@click.option("--retrain-every", default=None, type=int, help="Retrain in the background after this many answers "
                                                              "[default: the round's number of tasks].")
@click.option("--lease-minutes", default=10.0, show_default=True, type=float, help="How long a task stays reserved for the annotator who opened it.")
@click.option("--overlap", default="0%", show_default=True, help="The share of tasks given to two annotators, "
                                                                  "for agreement (10% or 0.1).")
def serve_cmd(path, host, port, token, budget, retrain_every, lease_minutes, overlap) -> None:
    """Serve project PATH: one task at a time, answers stored at once, the model retrained in a
    background process after every N answers and the queue re-ranked."""
    try:
        import uvicorn

        from multitag.serve.app import create_app
    except ImportError as e:
        raise MultitagError(f"multitag serve needs starlette and uvicorn (pip install 'multitag[serve]'): {e}") from None
    if budget < 1 or (retrain_every is not None and retrain_every < 1) or lease_minutes <= 0:
        raise MultitagError("--budget, --retrain-every and --lease-minutes must be positive")
    share = parse_share(overlap)
    if not is_loopback(host) and not token:
        token = secrets.token_urlsafe(24)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    allowed = None
    if is_loopback(host):
        allowed = [f"{h}:{port}" for h in ("127.0.0.1", "localhost", "[::1]")]
    app = create_app(path, token=token, budget=budget, retrain_every=retrain_every, lease_seconds=lease_minutes * 60,
                     allowed_hosts=allowed, overlap=share)
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    click.echo(f"serving {path} at {url}", err=True)
    if app.state.queue.has_annotators():
        click.echo("registered annotators sign in with their own tokens (`multitag project annotators`)", err=True)
    click.echo("annotators: `multitag project annotators add PATH NAME` gives each person a token of their own "
               "(then every browser signs in); or add ?annotator=NAME to the URL", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
