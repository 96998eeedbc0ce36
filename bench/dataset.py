"""The benchmark's data set: clients, contacts and links, written straight into the database,
and the matching entities, addresses and users seeded into the simulator."""

import os
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import MetaData, Table, create_engine, inspect, text

from adapters.caseware_cloud.field_map import load_field_maps
from bench.simctl import SimControl
from db.models import Client, Contact, Link
from domain.emails import login_key
from domain.links import CLIENT_SYNCED_FIELDS, CONTACT_SYNCED_FIELDS

CONTACTS_PER_CLIENT = 3
LINKED_EVERY = 3  # a third of the clients is linked, with all of its contacts
SEED_BATCH = 500  # entities or users per POST /_sim/seed
INSERT_BATCH = 5_000
FIRST = ["Anna", "Bram", "Cor", "Daan", "Eva", "Femke", "Gert", "Hanna", "Ies", "Joost", "Kees",
         "Lotte", "Marleen", "Noor", "Okke", "Pim", "Roos", "Sanne", "Tijs", "Wouter"]  # fmt: skip
LAST = ["Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Vos", "Peters",
        "Hendriks", "Dekker", "Brouwer", "Dijkstra", "Kok", "Jacobs", "Vermeulen"]  # fmt: skip
INFIXES = [None, None, None, "van", "de", "van der", "van den"]
CITIES = ["Amsterdam", "Rotterdam", "Utrecht", "Den Haag", "Eindhoven", "Groningen", "Tilburg",
          "Almere", "Breda", "Nijmegen", "Zwolle", "Leiden", "Haarlem", "Arnhem"]  # fmt: skip
# Statuses of the clients that are not linked: mostly active, some of every other kind.
STATUSES = ["active"] * 14 + ["prospect", "prospect", "inactive", "suspect"]


@dataclass
class Dataset:
    """What was loaded, with the ids and CWGuids the figures need."""

    clients: int
    linked_clients: list[int] = field(default_factory=list)
    linked_contacts: list[int] = field(default_factory=list)
    contacts_of: dict[int, list[int]] = field(default_factory=dict)  # every client's contacts
    client_of: dict[int, int] = field(default_factory=dict)  # contact -> its client
    entity: dict[int, str] = field(default_factory=dict)  # linked client -> entity CWGuid
    address: dict[int, str] = field(default_factory=dict)  # linked client -> address CWGuid
    user: dict[int, str] = field(default_factory=dict)  # linked contact -> user CWGuid
    remote_address_column: bool = False

    @property
    def contacts(self) -> int:
        return len(self.client_of)


def _client_row(rng: random.Random, cid: int, linked: bool, now: datetime) -> dict:
    city = rng.choice(CITIES)
    return {
        "id": cid, "number": f"K{cid:06d}", "name": f"{rng.choice(LAST)} {city} {cid} B.V.",
        # A linked client is eligible: a business that is not suspect.
        "kind": "business" if linked or rng.random() > 0.1 else "private",
        "status": "active" if linked else rng.choice(STATUSES),
        "address": f"Hoofdstraat {cid % 300 + 1}", "postcode": f"{1000 + cid % 9000} AB",
        "city": city, "country": "NL", "phone": f"+31 20 {cid:07d}",
        "email": f"info@klant{cid}.nl", "website": f"https://www.klant{cid}.nl",
        "facebook": None, "twitter": None, "linkedin": f"https://linkedin.com/company/klant{cid}",
        "version": 1, "created_at": now, "updated_at": now,
    }  # fmt: skip


def _contact_row(rng: random.Random, pid: int, client_id: int, now: datetime) -> dict:
    first, last, infix = rng.choice(FIRST), rng.choice(LAST), rng.choice(INFIXES)
    email = f"{first}.{last}.{pid}@klant{client_id}.nl"  # unique: it carries the contact's id
    return {
        "id": pid, "client_id": client_id, "first_name": first, "infix": infix,
        "last_name": last, "initials": f"{first[0]}.", "email": email,
        "email_login": login_key(email), "phone": f"+31 30 {pid:07d}",
        "mobile": f"+31 6 {pid:08d}", "version": 1, "created_at": now, "updated_at": now,
    }  # fmt: skip


def _link_row(record_type: str, record_id: int, remote_id: str, now: datetime) -> dict:
    # As services.delivery leaves a link that CaseWare Cloud confirmed: on, synced, no error.
    return {
        "record_type": record_type, "record_id": record_id, "active": True,
        "remote_id": remote_id, "sync_state": "synced", "last_synced_at": now,
        "last_error": None, "changed_at": now, "changed_by": "bench", "version": 1,
    }  # fmt: skip


def _seed_simulator(sim: SimControl, data: Dataset, clients: dict, contacts: dict) -> None:
    """Entities with their Business address, and users, as the adapter would have made them."""
    maps = load_field_maps(os.environ.get("CWC_FIELD_MAP"))  # as the gateway reads it
    values = maps.values
    for start in range(0, len(data.linked_clients), SEED_BATCH):
        batch = data.linked_clients[start : start + SEED_BATCH]
        entities = []
        for cid in batch:
            synced = {f: clients[cid][f] for f in CLIENT_SYNCED_FIELDS}
            address = {
                **maps.to_cwc("address", synced),
                "Address2": "",
                "AddressCategory": values["address_category"],
            }
            entities.append(
                {
                    **maps.to_cwc("entity", synced),
                    "addresses": [address],
                    "OwnerType": values["entity_owner_type"],
                    "Type": values["active_type"],
                }
            )
        data.entity.update(zip(batch, sim.seed({"entities": entities})["entities"], strict=True))
    for start in range(0, len(data.linked_contacts), SEED_BATCH):
        batch = data.linked_contacts[start : start + SEED_BATCH]
        users = [
            {
                **maps.to_cwc("user", {f: contacts[pid][f] for f in CONTACT_SYNCED_FIELDS}),
                "OwnerType": values["contact_owner_type"],
                "Type": values["active_type"],
                "CanLogin": True,
            }
            for pid in batch
        ]
        data.user.update(zip(batch, sim.seed({"users": users})["users"], strict=True))
    # The seed answers the entities' CWGuids only; their addresses' are in the state dump.
    owner = {guid: cid for cid, guid in data.entity.items()}
    for entity in sim.state()["entities"]:
        for address in entity["addresses"]:
            if entity["CWGuid"] in owner:
                data.address[owner[entity["CWGuid"]]] = address["CWGuid"]


def _insert(conn, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), INSERT_BATCH):
        conn.execute(table.insert(), rows[start : start + INSERT_BATCH])


def _links_table(engine):
    """The links table to write: the model's, or the database's when a migration added a
    column (remote_address_id) that this checkout's model does not know yet."""
    in_db = {c["name"] for c in inspect(engine).get_columns("links")}
    if "remote_address_id" in in_db and "remote_address_id" not in Link.__table__.c:
        return Table("links", MetaData(), autoload_with=engine), True
    return Link.__table__, "remote_address_id" in in_db


def load(database_url: str, sim: SimControl, clients: int, seed: int = 9) -> Dataset:
    """Write `clients` clients with 3 contacts each, a third linked and synced, and seed the
    simulator to match; the database must be migrated and empty."""
    rng, now = random.Random(seed), datetime.now(UTC)
    data = Dataset(clients=clients)
    client_rows, contact_rows = {}, {}
    for cid in range(1, clients + 1):
        linked = cid % LINKED_EVERY == 1
        client_rows[cid] = _client_row(rng, cid, linked, now)
        data.contacts_of[cid] = []
        for n in range(CONTACTS_PER_CLIENT):
            pid = (cid - 1) * CONTACTS_PER_CLIENT + n + 1
            contact_rows[pid] = _contact_row(rng, pid, cid, now)
            data.contacts_of[cid].append(pid)
            data.client_of[pid] = cid
        if linked:
            data.linked_clients.append(cid)
            data.linked_contacts.extend(data.contacts_of[cid])
    _seed_simulator(sim, data, client_rows, contact_rows)

    engine = create_engine(database_url)
    links, data.remote_address_column = _links_table(engine)
    link_rows = []
    for cid in data.linked_clients:
        row = _link_row("client", cid, data.entity[cid], now)
        if data.remote_address_column:
            row["remote_address_id"] = data.address[cid]
        link_rows.append(row)
    extra = {"remote_address_id": None} if data.remote_address_column else {}
    for pid in data.linked_contacts:
        link_rows.append({**_link_row("contact", pid, data.user[pid], now), **extra})
    with engine.begin() as conn:
        _insert(conn, Client.__table__, list(client_rows.values()))
        _insert(conn, Contact.__table__, list(contact_rows.values()))
        _insert(conn, links, link_rows)
        if engine.dialect.name == "postgresql":
            # Ids were given explicitly: move the sequences past them for later inserts.
            for table in ("clients", "contacts"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    # A database in service has planner statistics (autovacuum, or an operator's ANALYZE);
    # a bulk load has none until autovacuum comes by, and plans for empty tables meanwhile.
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    engine.dispose()
    return data
