"""Operator commands: `flask --app app db upgrade`, `token create|list|revoke`, `demo seed`."""

from datetime import datetime
from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup

from domain.rights import ALL_RIGHTS
from services import tokens
from services.tokens import OPERATOR

ROOT = Path(__file__).resolve().parent

db_cli = AppGroup("db", help="Database schema (Alembic).")
token_cli = AppGroup("token", help="API tokens.")


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
    for t in tokens.list_tokens(_uow(), OPERATOR):
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


def register(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(token_cli)
