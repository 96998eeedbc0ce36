"""The randomized soak at a larger size: python -m bench.soak [--steps N] [--seeds a,b,c].

Runs the gateway in-process against the simulator on a real socket, on a fresh SQLite file (or
on DATABASE_URL's PostgreSQL, in a throwaway schema), injects faults at random, then checks that
CaseWare Cloud holds exactly what the gateway holds. Prints one line per seed.
"""

import argparse
import os
import secrets
import tempfile
import time
import uuid
from urllib.parse import quote

from alembic import command
from sqlalchemy import create_engine, text

from adapters.caseware_cloud.simulator import start_in_thread
from app import create_app
from cli import alembic_config
from config import TestConfig
from domain.rights import ALL_RIGHTS
from services import tokens
from services.tokens import OPERATOR
from tests.api.soak_support import Soak


def _database(tmp: str):
    """(url, cleanup) for a fresh, migrated database."""
    base = os.environ.get("DATABASE_URL")
    if not base:
        url = f"sqlite:///{tmp}/soak.db"
        command.upgrade(alembic_config(url), "head")
        return url, lambda: None
    schema = f"gw_soak_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"
    command.upgrade(alembic_config(url), "head")

    def cleanup():
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url, cleanup


def run(steps: int, seed: int) -> str:
    sim = start_in_thread("soak", secrets.token_hex(16))
    with tempfile.TemporaryDirectory() as tmp:
        url, cleanup = _database(tmp)

        class Config(TestConfig):
            DATABASE_URL = url
            CWC_BASE_URL = sim.api_url
            CWC_CLIENT_ID, CWC_CLIENT_SECRET = sim.client_id, sim.client_secret
            CWC_BACKOFF_BASE, CWC_BACKOFF_CAP, CWC_MAX_RETRY_WAIT = 0.001, 0.005, 1.0

        try:
            app = create_app(Config)
            uow = app.extensions["uow_factory"]()
            _token, secret = tokens.create_token(uow, OPERATOR, "soak", list(ALL_RIGHTS))
            auth = {"Authorization": f"Bearer {secret}"}
            soak = Soak(app, app.test_client(), auth, sim, seed)
            started = time.perf_counter()
            soak.setup(clients=8, contacts_each=4)
            for _ in range(steps):
                soak.step()
            soak.settle(deadline_seconds=300)
            report = soak.compare()
            elapsed = time.perf_counter() - started
            app.extensions["cwc"].close()
            app.extensions["db_engine"].dispose()
        finally:
            sim.stop()
            cleanup()
    return f"seed {seed}: {steps} steps in {elapsed:.1f} s, both sides agree: {report}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seeds", default="1,2,3")
    args = parser.parse_args()
    for seed in (int(s) for s in args.seeds.split(",")):
        print(run(args.steps, seed), flush=True)


if __name__ == "__main__":
    main()
