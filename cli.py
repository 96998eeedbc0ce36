"""Operator commands: `flask --app app db upgrade`, `token create|list|revoke`, `jwt issue`,
`demo seed`, `worker`, `deliveries`, `links bulk` (cli_links.py)."""

import contextlib
import logging
import signal
from datetime import datetime, timedelta
from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup

import cli_drift
from cli_links import links_cli
from domain.errors import DomainError
from domain.rights import ALL_RIGHTS
from services import clients, contacts, deliveries, idempotency, people, tokens, unlink_guard
from services.tokens import OPERATOR
from services.worker import BackgroundCourier

ROOT = Path(__file__).resolve().parent
log = logging.getLogger(__name__)

db_cli = AppGroup("db", help="Database schema (Alembic).")
token_cli = AppGroup("token", help="API tokens.")
jwt_cli = AppGroup("jwt", help="People's JWTs, for local testing.")


def alembic_config(database_url: str) -> AlembicConfig:
    """Alembic pointed at migrations/ and the given database."""
    config = AlembicConfig(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def _uow():
    return current_app.extensions["uow_factory"]()


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision):
    """Create the schema, or bring it up to REVISION (default: head)."""
    command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision):
    """Take the schema back to REVISION (base: empty)."""
    command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)


def _rights(_ctx, _param, value: str) -> list[str]:
    rights = [r.strip() for r in value.split(",") if r.strip()]
    unknown = sorted(set(rights) - set(ALL_RIGHTS))
    if unknown or not rights:
        raise click.BadParameter(f"choose from {', '.join(ALL_RIGHTS)}")
    return rights


@token_cli.command("create")
@click.argument("name")
@click.option(
    "--rights", required=True, callback=_rights, help=f"Comma-separated: {','.join(ALL_RIGHTS)}"
)
@click.option(
    "--expires-at", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"]), default=None
)
def token_create(name, rights, expires_at: datetime | None):
    """Issue a token; the secret is printed once, alone on the last line."""
    if expires_at is not None and expires_at.tzinfo is None:
        expires_at = expires_at.astimezone()
    token, secret = tokens.create_token(_uow(), OPERATOR, name, rights, expires_at)
    click.echo(
        f"token {token.name} with rights {token.rights}; keep the secret below, it is shown once:"
    )
    click.echo(secret)


@token_cli.command("list")
def token_list():
    """Every token: name, rights, created, expires, last used. Never a secret."""
    items, _total = tokens.list_tokens(_uow(), OPERATOR, 1, 10_000)
    for t in items:
        click.echo(
            f"{t.name}\t{t.rights}\tcreated {t.created_at:%Y-%m-%d %H:%M}\t"
            f"expires {t.expires_at or '-'}\tlast used {t.last_used_at or '-'}"
        )


@token_cli.command("revoke")
@click.argument("name")
def token_revoke(name):
    """Revoke a token; every worker refuses it from the next request on."""
    tokens.revoke_token(_uow(), OPERATOR, name)
    click.echo(f"token {name} revoked")


@jwt_cli.command("issue")
@click.option("--sub", "subject", required=True, help="The person's id (the JWT's sub).")
@click.option("--name", required=True, help="The person's name, as the link history shows it.")
@click.option(
    "--rights", required=True, callback=_rights, help=f"Comma-separated: {','.join(ALL_RIGHTS)}"
)
@click.option("--minutes", type=click.IntRange(1, 24 * 60), default=60, show_default=True)
def jwt_issue(subject, name, rights, minutes):
    """Print a JWT as AuditCase signs it; only with JWT_ALGORITHM=HS256 and JWT_SECRET."""
    try:
        token = people.issue_for_testing(
            current_app.extensions["jwt_settings"], subject, name, rights, minutes
        )
    except people.JwtSettingsError as error:
        raise click.ClickException(str(error)) from None
    except people.InvalidJwt as error:
        raise click.BadParameter(error.reason) from None
    click.echo(token)


DEMO_CLIENTS = [
    {
        "client": {
            "number": "1001",
            "name": "Bakkerij Jansen B.V.",
            "address": "Dorpsstraat 12",
            "postcode": "1234 AB",
            "city": "Utrecht",
            "country": "NL",
            "phone": "030-1234567",
            "email": "info@bakkerijjansen.nl",
            "website": "https://bakkerijjansen.nl",
        },
        "contacts": [
            {
                "first_name": "Piet",
                "last_name": "Jansen",
                "initials": "P.",
                "email": "piet@bakkerijjansen.nl",
            },
            {
                "first_name": "Anna",
                "infix": "de",
                "last_name": "Vries",
                "initials": "A.",
                "email": "anna@bakkerijjansen.nl",
            },
        ],
    },
    {
        "client": {
            "number": "1002",
            "name": "Van Dijk Installatietechniek",
            "city": "Amersfoort",
            "country": "NL",
        },
        "contacts": [
            {
                "first_name": "Karel",
                "infix": "van",
                "last_name": "Dijk",
                "email": "karel@vandijk.example",
            }
        ],
    },
    {
        "client": {"number": "1003", "name": "M. de Boer", "kind": "private", "country": "NL"},
        "contacts": [],
    },
    {
        "client": {
            "number": "1004",
            "name": "Suspect Holding",
            "status": "suspect",
            "country": "NL",
        },
        "contacts": [],
    },
]


@click.command("demo-data")
def demo_data():
    """Add a few demo clients and contacts (once: existing client numbers are left alone)."""
    for entry in DEMO_CLIENTS:
        number = entry["client"]["number"]
        existing, _total = clients.list_clients(_uow(), OPERATOR, {"number": number}, 1, 1)
        if existing:
            continue
        client = clients.create_client(_uow(), OPERATOR, entry["client"])
        for contact in entry["contacts"]:
            contacts.create_contact(_uow(), OPERATOR, client.id, contact)
        click.echo(f"demo client {number} {client.name} with {len(entry['contacts'])} contact(s)")


@click.command("worker")
@click.option("--interval", type=float, default=1.0, help="Seconds between rounds.")
def worker(interval):
    """Deliver queued changes to CaseWare Cloud, and run link jobs and reconciliations, until
    stopped (several may run at once)."""
    # Bound here: the courier's threads run outside the command's application context.
    uow_factory, ttl = current_app.extensions["uow_factory"], _idempotency_ttl()
    background = BackgroundCourier(
        current_app.extensions["courier"],
        interval,
        housekeeping=lambda: idempotency.purge_expired(uow_factory(), ttl),
        threads=current_app.config["DELIVERY_COURIER_THREADS"],
        rounds=[
            current_app.extensions["link_job_runner"].run_round,
            current_app.extensions["reconciliation_runner"].run_due,
        ],
    )

    def stop(signum, _frame):
        # SIGTERM (systemd's stop) and a first Ctrl-C alike: claim nothing more, settle what
        # is under way and give its lease back. A second Ctrl-C leaves at once.
        log.warning("%s: finishing the deliveries under way", signal.Signals(signum).name)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        background.stop_claiming()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # Logged, not echoed: the worker's stdout is its log, one line per record (LOG_FORMAT).
    log.info("delivering queued changes; Ctrl-C or SIGTERM stops")
    with contextlib.suppress(KeyboardInterrupt):
        background.run_until_stopped()


def _idempotency_ttl() -> timedelta:
    return timedelta(seconds=current_app.config["IDEMPOTENCY_TTL_SECONDS"])


@click.command("deliveries")
@click.option("--state", type=click.Choice(["pending", "failed", "held"]), default=None)
@click.option("--retry", "retry_id", type=int, default=None, help="Make this delivery due now.")
@click.option(
    "--release",
    "release_ids",
    type=int,
    multiple=True,
    help="Release this delivery held by the unlink guard (repeatable).",
)
@click.option("--release-all", is_flag=True, help="Release every held delivery.")
def deliveries_command(state, retry_id, release_ids, release_all):
    """The delivery queue: pending, failed and held deliveries to CaseWare Cloud."""
    if retry_id is not None:
        delivery = deliveries.retry_delivery(_uow(), OPERATOR, retry_id)
        click.echo(f"delivery {delivery.id} is due now")
        return
    if release_ids or release_all:
        if release_ids and release_all:
            raise click.UsageError("give --release IDs or --release-all, not both")
        try:
            released = unlink_guard.release(_uow(), OPERATOR, list(release_ids) or None)
        except DomainError as error:
            raise click.ClickException(error.detail) from None
        click.echo(f"{len(released)} held deliveries released; the courier sends them in order")
        return
    items, total = deliveries.list_deliveries(_uow(), OPERATOR, state, 1, 100)
    click.echo(f"{total} deliveries" + (f" ({state})" if state else " (pending, failed and held)"))
    for d in items:
        click.echo(
            f"{d.id}\t{d.state}\t{d.operation}\t{d.record_type} {d.record_id}\t"
            f"attempts {d.attempts}\tnext {d.next_attempt_at:%Y-%m-%d %H:%M:%S}\t"
            f"{d.last_error or ''}"
        )


def register(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(token_cli)
    app.cli.add_command(jwt_cli)
    app.cli.add_command(demo_data)
    app.cli.add_command(worker)
    app.cli.add_command(deliveries_command)
    app.cli.add_command(cli_drift.drift)
    app.cli.add_command(links_cli)
