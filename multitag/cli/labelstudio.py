"""``multitag labelstudio-backend P`` (multitag as Label Studio's ML backend) and
``multitag project sync-labelstudio P`` (reconcile the store with a Label Studio project)."""
from __future__ import annotations

import logging
import secrets

import click

from multitag.cli import main
from multitag.cli.serve import is_loopback
from multitag.errors import MultitagError


def _api(path: str, url: str | None, token: str | None, ls_project: int | None, *, need_project: bool = True):
    """The Label Studio API and project id: the options, else what the backend recorded."""
    from multitag.labelstudio.client import LabelStudioAPI
    from multitag.project.project import Project

    with Project(path) as p:
        known = p.store.labelstudio.connection()
    url = url or known.get("url")
    ls_project = ls_project if ls_project is not None else known.get("project")
    if not url or not token or (need_project and ls_project is None):
        raise MultitagError("need --label-studio URL, --label-studio-token TOKEN and --label-studio-project ID "
                            "(the URL and project are remembered once the backend has been connected)")
    return LabelStudioAPI(url, token), ls_project


def label_studio_options(f):
    f = click.option("--label-studio-project", "ls_project", default=None, type=int,
                     help="The Label Studio project's id (default: the one that connected the backend).")(f)
    f = click.option("--label-studio-token", "token", default=None, envvar="LABEL_STUDIO_API_KEY",
                     help="A Label Studio API token (Account & Settings), or $LABEL_STUDIO_API_KEY.")(f)
    return click.option("--label-studio", "url", default=None, help="Label Studio's URL, e.g. http://127.0.0.1:8080.")(f)


@main.command("labelstudio-backend")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback unless you mean it).")
@click.option("--port", default=9090, show_default=True, type=int)
@label_studio_options
@click.option("--budget", default=200, show_default=True, type=int, help="Tokens per round (a batch added to Label Studio).")
@click.option("--retrain-every", default=10, show_default=True, type=int, help="Retrain in the background after this many answers.")
@click.option("--min-unlabelled", default=5, show_default=True, type=int,
              help="Add the next batch when fewer unlabelled tasks remain.")
@click.option("--basic-auth", default=None, metavar="USER:PASSWORD",
              help="Every request must carry these HTTP Basic credentials (Label Studio: Authentication -> Basic Auth). "
                   "Generated and printed when --host is not loopback.")
def labelstudio_backend_cmd(path, host, port, url, token, ls_project, budget, retrain_every, min_unlabelled,
                            basic_auth) -> None:
    """Serve project PATH as a Label Studio ML backend: pre-annotations with the model's confidence,
    annotations stored as they are submitted, retraining, fresh predictions and new batches."""
    try:
        import uvicorn

        from multitag.labelstudio.app import create_app
    except ImportError as e:
        raise MultitagError(f"the ML backend needs starlette and uvicorn (pip install 'multitag[serve]'): {e}") from None
    if budget < 1 or retrain_every < 1 or min_unlabelled < 0:
        raise MultitagError("--budget and --retrain-every must be positive, --min-unlabelled at least 0")
    if basic_auth is not None and ":" not in basic_auth:
        raise MultitagError("--basic-auth must be USER:PASSWORD")
    if not is_loopback(host) and basic_auth is None:
        basic_auth = f"multitag:{secrets.token_urlsafe(18)}"
        click.echo(f"{host} is not loopback: Label Studio must send Basic Auth {basic_auth}", err=True)
    api = None
    if url or token:
        api, ls_project = _api(path, url, token, ls_project, need_project=False)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app(path, api=api, ls_project=ls_project, budget=budget, retrain_every=retrain_every,
                     min_unlabelled=min_unlabelled, basic_auth=basic_auth)
    click.echo(f"Label Studio ML backend for {path} at http://{host}:{port} (add it under Settings -> Model)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@click.command("sync-labelstudio")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@label_studio_options
def sync_labelstudio_cmd(path, url, token, ls_project) -> None:
    """Reconcile PATH's store with its Label Studio project: store the annotations it lacks,
    retract the ones deleted in Label Studio (each annotation stored exactly once)."""
    from multitag.labelstudio.answers import reconcile
    from multitag.project.project import Project

    api, ls_project = _api(path, url, token, ls_project)
    with Project(path) as p:
        r = reconcile(p, api, ls_project, log=lambda line: click.echo(line, err=True))
    click.echo(f"Label Studio project {ls_project}: {r['stored']} annotations stored, {r['already']} already stored, "
               f"{r['deleted']} deleted ones retracted, {r['refused']} refused")
