"""The write path's statements, built once: a switch or a forwarded change runs about ten of
them while it holds SQLite's one write lock.

Built at each call, an ORM select cost about 135 us before it ran (construction, then its
cache key); built once with bind parameters, about 45 us. On SQLite that time is spent
holding the write lock, which every concurrent switch waits for.
"""

from functools import cache

from sqlalchemy import bindparam, case, exists, func, insert, select, update

from db.models import Client, Contact, Delivery, Link, LinkEvent


@cache
def by_id_for_update(model):
    """SELECT ... FOR UPDATE of one row of `model` by :record_id."""
    return select(model).where(model.id == bindparam("record_id")).with_for_update()


# The contact's client, locked, found from the contact in the same statement (one round trip).
LOCK_CONTACTS_CLIENT = (
    select(Client.id)
    .where(
        Client.id
        == select(Contact.client_id).where(Contact.id == bindparam("contact_id")).scalar_subquery()
    )
    .with_for_update()
)

LINK_OF = select(Link).where(
    Link.record_type == bindparam("record_type"), Link.record_id == bindparam("record_id")
)
LINK_OF_FOR_UPDATE = LINK_OF.with_for_update()

# Another contact with the same login (contacts.email_login) whose switch is on.
EMAIL_LINKED_ELSEWHERE = select(
    exists().where(
        Link.record_type == "contact",
        Link.record_id == Contact.id,
        Link.active.is_(True),
        Contact.id != bindparam("contact_id"),
        Contact.email_login == bindparam("login"),
    )
)

# A held delivery (the unlink guard) waits in its queue as a pending one does: nothing of its
# client overtakes it, and its record's link stays pending.
WAITING = ("pending", "held")

# Whether the background courier has anything to claim: a read, so that an idle courier's poll
# takes no write lock (on SQLite, every writer's) and costs one indexed lookup.
ANYTHING_DUE = select(
    exists().where(
        Delivery.state == "pending",
        Delivery.next_attempt_at <= bindparam("now", type_=Delivery.next_attempt_at.type),
        (Delivery.leased_until.is_(None))
        | (Delivery.leased_until < bindparam("now", type_=Delivery.leased_until.type)),
    )
)

ANY_PENDING = select(
    exists().where(Delivery.order_key == bindparam("order_key"), Delivery.state.in_(WAITING))
)

COUNT_WAITING = (
    select(Delivery.state, func.count()).where(Delivery.state.in_(WAITING)).group_by(Delivery.state)
)

ANY_HELD = select(exists().where(Delivery.state == "held"))

HELD_BEFORE = select(
    exists().where(
        Delivery.state == "held",
        Delivery.order_key == bindparam("order_key"),
        Delivery.id < bindparam("before"),
    )
)

# Withdrawals the unlink guard let through since :since, counted up to :at_most (the guard
# needs no more to decide). Held ones, released or not, never count: a person looked at those.
WITHDRAWALS_LET_THROUGH = select(func.count()).select_from(
    select(Delivery.id)
    .where(
        Delivery.operation.in_(bindparam("operations", expanding=True)),
        Delivery.created_at >= bindparam("since"),
        Delivery.held_at.is_(None),
    )
    .limit(bindparam("at_most"))
    .subquery()
)


# ----- settling a delivery: three Core statements instead of the ORM's six -----------------
# A delivery's outcome is settled in a transaction of its own after CaseWare Cloud answered:
# read and written through the ORM that took six statements (two SELECTs ... FOR UPDATE, an
# EXISTS and three flushes). As Core statements it is three, with no flush bookkeeping.
_deliveries, _links = Delivery.__table__, Link.__table__
_when = Delivery.__table__.c.next_attempt_at.type

SETTLE_DELIVERY = (
    update(_deliveries)
    .where(_deliveries.c.id == bindparam("delivery_id"))
    # Only while the lease is ours: when it ran out, another courier took over and its
    # outcome counts.
    .where(_deliveries.c.lease_owner == bindparam("owner"))
    .values(
        leased_until=None,
        lease_owner=None,
        attempts=_deliveries.c.attempts + bindparam("counted"),
        last_error=bindparam("error"),
        state=bindparam("new_state"),
        delivered_at=bindparam("delivered", type_=_when),
        next_attempt_at=func.coalesce(
            bindparam("retry_at", type_=_when), _deliveries.c.next_attempt_at
        ),
    )
)

_others_pending = exists().where(
    _deliveries.c.record_type == _links.c.record_type,
    _deliveries.c.record_id == _links.c.record_id,
    _deliveries.c.state.in_(WAITING),  # a held withdrawal keeps its link pending
    _deliveries.c.id != bindparam("delivery_id"),
)


@cache
def settle_link(outcome: str, learnt_remote: bool, learnt_address: bool):
    """UPDATE of a record's link after a delivery: `outcome` is delivered, pending or refused.

    Delivered: synced (off when the switch is off), unless another change of the record still
    waits. A newly learnt remote id forgets the address id learnt for another entity. SET
    expressions see the row as it was, on SQLite and PostgreSQL alike."""
    values = {"version": _links.c.version + 1}
    if outcome == "refused":
        values |= {"sync_state": "failed", "last_error": bindparam("error")}
    elif outcome == "pending":
        values |= {"sync_state": "pending"}
    else:
        values |= {
            "sync_state": case(
                (_others_pending, "pending"), (_links.c.active.is_(True), "synced"), else_="off"
            ),
            "last_error": case((_others_pending, _links.c.last_error), else_=None),
            "last_synced_at": case(
                (_others_pending, _links.c.last_synced_at),
                else_=bindparam("now", type_=_links.c.last_synced_at.type),
            ),
        }
    if learnt_remote:
        values["remote_id"] = bindparam("new_remote_id")
        values["remote_address_id"] = case(
            (_links.c.remote_id == bindparam("new_remote_id"), _links.c.remote_address_id),
            else_=None,
        )
    if learnt_address:
        values["remote_address_id"] = bindparam("new_address_id")
    return (
        update(_links)
        .where(
            _links.c.record_type == bindparam("of_type"),
            _links.c.record_id == bindparam("of_id"),
        )
        .values(**values)
    )


ADD_HISTORY = insert(LinkEvent.__table__)
_history = LinkEvent.__table__
HISTORY_COLUMNS = (
    "record_type",
    "record_id",
    "at",
    "actor",
    "action",
    "result",
    "detail",
    "request_id",
)


@cache
def settle_in_one(outcome: str, learnt_remote: bool, learnt_address: bool, with_history: bool):
    """PostgreSQL: SETTLE_DELIVERY, settle_link and ADD_HISTORY as one statement, which needs
    no transaction around it: one round trip instead of five (with BEGIN and COMMIT).

    The link and the history line change only when the delivery did, that is while its lease
    was ours. Data-modifying CTEs all see the rows as they were before the statement, where the
    three statements in turn would see the delivery settled: the link's EXISTS leaves this
    delivery out by its id, so it reads the same either way. Answers 1 when settled, else 0.
    History values are bound as event_<column>."""
    settled = SETTLE_DELIVERY.returning(_deliveries.c.id).cte("settled")
    ours = exists(select(settled.c.id))
    link = settle_link(outcome, learnt_remote, learnt_address).where(ours).cte("link")
    stmt = select(func.count()).select_from(settled).add_cte(link)
    if with_history:
        values = [
            bindparam(f"event_{name}", type_=_history.c[name].type) for name in HISTORY_COLUMNS
        ]
        event = insert(_history).from_select(HISTORY_COLUMNS, select(*values).where(ours))
        stmt = stmt.add_cte(event.cte("event"))
    return stmt
