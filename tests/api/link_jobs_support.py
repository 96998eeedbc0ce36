"""Helpers for the link job tests: data sets, running jobs, what the gateway and CWC hold."""

from sqlalchemy import text

from db.models import Client, Contact


def post_job(http, auth, clients_, action="link", **options):
    body = {"action": action, "clients": clients_, **options}
    return http.post("/v1/link-jobs", json=body, headers=auth)


def start_job(http, auth, clients_, action="link", **options) -> dict:
    response = post_job(http, auth, clients_, action, **options)
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def run_jobs(app) -> int:
    """Run every job with records left to its end, as a worker's rounds would."""
    runner, done = app.extensions["link_job_runner"], 0
    while processed := runner.run_round():
        done += processed
    return done


def drain(app) -> None:
    """Deliver whatever is left in the outbox."""
    while app.extensions["courier"].run_due():
        pass


def job_of(http, auth, job_id) -> dict:
    response = http.get(f"/v1/link-jobs/{job_id}", headers=auth)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def results_of(http, auth, job_id) -> list[dict]:
    """Every result of a job, all pages."""
    items, page = [], 1
    while True:
        response = http.get(
            f"/v1/link-jobs/{job_id}/results?page={page}&page_size=100", headers=auth
        )
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        items.extend(body["items"])
        if page * 100 >= body["total"]:
            return items
        page += 1


def by_record(results: list[dict]) -> dict[tuple[str, int], dict]:
    return {(r["record"]["type"], r["record"]["id"]): r for r in results}


def make_clients(app, prefix: str, count: int, *, shared_email_every: int = 0):
    """`count` clients numbered prefix0001..., with contacts; returns [(client, [contacts])].

    Every 10th client is private and every 10th (shifted by one) suspect; each client has a
    contact with an e-mail of its own, every 4th one a second contact without e-mail, and with
    `shared_email_every`, every n-th client's contact uses the previous client's e-mail.
    Written in one transaction: an arrangement, not what is tested."""
    made = []
    with app.extensions["uow_factory"]() as uow:
        for i in range(1, count + 1):
            kind = "private" if i % 10 == 0 else "business"
            status = "suspect" if i % 10 == 1 and i > 1 else "active"
            client = Client(
                number=f"{prefix}{i:04d}",
                name=f"Client {i}",
                kind=kind,
                status=status,
                city="Utrecht",
                address=f"Dorpsstraat {i}",
            )
            uow.clients.add(client)
            shared = shared_email_every and i % shared_email_every == 0 and i > 1
            email = f"{prefix.lower()}-p{i - 1 if shared else i}@example.nl"
            people = [Contact(client_id=client.id, last_name=f"Person {i}", email=email)]
            if i % 4 == 0:
                people.append(Contact(client_id=client.id, last_name=f"NoMail {i}"))
            for person in people:
                uow.contacts.add(person)
            made.append((client, people))
        uow.commit()
    return made


BUSINESS_TABLES = ("links", "link_history", "deliveries")


def business_tables(app) -> dict[str, list]:
    """Every row of the tables a switch writes, for before-and-after comparisons."""
    engine = app.extensions["db_engine"]
    with engine.connect() as conn:
        return {
            table: [tuple(row) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
            for table in BUSINESS_TABLES
        }
