"""`flask --app app links bulk`: link or unlink many clients at once, with a progress bar."""

import re
import uuid

import click
from flask import current_app
from flask.cli import AppGroup

from domain.errors import DomainError
from services import link_jobs
from services.link_jobs import MAX_CLIENTS, OUTCOMES, JobRequest
from services.tokens import OPERATOR

links_cli = AppGroup("links", help="Links to CaseWare Cloud, many at once.")
ALL_ELIGIBLE = "all-eligible"


def _read_ids(source: str) -> list[int]:
    """Client ids from a file (or - for stdin): separated by spaces, commas or lines; # starts
    a comment."""
    with click.open_file(source) as handle:
        text = handle.read()
    ids = []
    for word in re.split(r"[\s,]+", re.sub(r"#[^\n]*", "", text)):
        if not word:
            continue
        if not word.isascii() or not word.isdigit() or int(word) < 1:
            raise click.BadParameter(f"{word!r} is not a client id", param_hint="--clients")
        ids.append(int(word))
    return ids


def _select(action: str, source: str) -> list[int]:
    if source != ALL_ELIGIBLE:
        return _read_ids(source)
    with current_app.extensions["reader_factory"]() as reader:
        return reader.link_jobs.client_ids_for(action)


def _counts_line(views: list[dict]) -> str:
    counts = {outcome: sum(view["counts"][outcome] for view in views) for outcome in OUTCOMES}
    shown = [f"{outcome} {count}" for outcome, count in counts.items() if count]
    return ", ".join(shown) or "nothing processed"


@links_cli.command("bulk")
@click.option("--action", type=click.Choice(link_jobs.ACTIONS), required=True)
@click.option(
    "--clients",
    "source",
    required=True,
    metavar="FILE|all-eligible",
    help="A file of client ids (- for stdin), or all-eligible: every client a link could "
    "switch on (not private or suspect, not linked yet), or for unlink every linked client.",
)
@click.option("--with-contacts", is_flag=True, help="With link: link each eligible contact too.")
@click.option("--dry-run", is_flag=True, help="Change nothing; show what would happen.")
def bulk(action, source, with_contacts, dry_run):
    """Run link jobs of up to 1,000 clients each, here, with a progress bar; counts at the end.

    Gateway workers may share the work (each record is done once). Ctrl-C leaves the jobs to
    them: they resume where this stopped."""
    ids = _select(action, source)
    if not ids:
        click.echo(f"no clients to {action}")
        return
    uow = current_app.extensions["uow_factory"]
    request_id = f"cli-{uuid.uuid4().hex[:24]}"
    try:
        jobs = [
            link_jobs.create_job(
                uow(),
                OPERATOR,
                JobRequest(action, ids[start : start + MAX_CLIENTS], with_contacts, dry_run),
                request_id,
            )
            for start in range(0, len(ids), MAX_CLIENTS)
        ]
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    runner = current_app.extensions["link_job_runner"]
    label = ("dry run: " if dry_run else "") + f"{action} {len(ids)} clients"
    views = []
    with click.progressbar(length=sum(job["total"] for job in jobs), label=label) as bar:
        for job in jobs:
            seen = 0

            def progress(view):
                nonlocal seen
                bar.update(view["processed"] - seen)
                seen = view["processed"]

            views.append(runner.run_job(job["id"], progress))
    names = ", ".join(str(view["id"]) for view in views)
    records = sum(view["processed"] for view in views)
    click.echo(f"job(s) {names}: {records} records: {_counts_line(views)}")
    cancelled = [str(view["id"]) for view in views if view["state"] == "cancelled"]
    if cancelled:
        click.echo(f"cancelled: job(s) {', '.join(cancelled)}")
