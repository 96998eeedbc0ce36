"""`flask --app app drift [--client ID ...] [--repair]`: a drift check from the command line."""

import json
import uuid

import click
from flask import current_app
from flask.cli import with_appcontext

from domain.errors import InvalidInput
from services import reconciliation
from services.reconciliation import DRIFTED, MISSING, REPAIRED
from services.tokens import OPERATOR

COLUMNS = ("record", "state", "field", "gateway", "CaseWare Cloud")
WIDEST = 40  # a longer value is cut, with an ellipsis


@click.command("drift")
@click.option(
    "--client",
    "client_ids",
    type=click.IntRange(min=1),
    multiple=True,
    help="A client id to check, with its linked contacts (repeatable); default: every linked one.",
)
@click.option("--repair", is_flag=True, help="Push the gateway's values for every difference.")
@with_appcontext
def drift(client_ids, repair):
    """Check linked clients and contacts against CaseWare Cloud, field by field."""
    runner = current_app.extensions["reconciliation_runner"]
    uow = current_app.extensions["uow_factory"]
    try:
        job = reconciliation.create_reconciliation(
            uow(),
            OPERATOR,
            list(client_ids) or None,
            repair,
            request_id=str(uuid.uuid4()),  # traces its calls to CaseWare Cloud and its history
            lease=runner.lease(),  # run here, not by a background worker
        )
    except InvalidInput as error:
        raise click.BadParameter(error.detail, param_hint="--client") from None
    label = f"Checking {job.total} records" + (" (and repairing)" if repair else "")
    errors = []
    with click.progressbar(length=job.total, label=label, show_pos=True) as bar:

        def progress(current):
            bar.update(current.processed - bar.pos)
            if current.last_error and current.last_error not in errors:
                errors.append(current.last_error)
                click.echo(f"\nwaiting for CaseWare Cloud: {current.last_error}", err=True)

        job = runner.run_to_end(job.id, progress)
    click.echo(_table(_rows(uow, job.id)))
    click.echo(
        f"reconciliation {job.id}: {job.in_sync} in sync, {job.drifted} drifted, "
        f"{job.missing} missing, {job.repaired} repaired"
    )


def _rows(uow, job_id: int) -> list[tuple[str, ...]]:
    """A row per difference, and one per missing record saying why, in the order checked."""
    found = []
    for state in (DRIFTED, MISSING, REPAIRED):
        page = 1
        while True:
            items, total = reconciliation.list_results(uow(), OPERATOR, job_id, state, page, 100)
            found.extend(items)
            if page * 100 >= total:
                break
            page += 1
    rows = []
    for result in sorted(found, key=lambda r: r.position):
        record = f"{result.record_type} {result.record_id}"
        if result.detail:
            rows.append((record, result.state, "(missing)", "-", result.detail))
        for difference in json.loads(result.differences):
            ours, theirs = _shown(difference["gateway"]), _shown(difference["caseware_cloud"])
            rows.append((record, result.state, difference["field"], ours, theirs))
    return rows


def _shown(value) -> str:
    if value is None or value == "":
        return "-"
    text = str(value)
    return text if len(text) <= WIDEST else text[: WIDEST - 1] + "\u2026"


def _table(rows: list[tuple[str, ...]]) -> str:
    if not rows:
        return "No differences: CaseWare Cloud holds what the gateway holds."
    widths = [max(len(row[i]) for row in (COLUMNS, *rows)) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (COLUMNS, tuple("-" * w for w in widths), *rows)
    ]
    return "\n".join(lines)
