"""The write path's statements, built once: a switch or a forwarded change runs about ten of
them while it holds SQLite's one write lock.

Built at each call, an ORM select cost about 135 us before it ran (construction, then its
cache key); built once with bind parameters, about 45 us. On SQLite that time is spent
holding the write lock, which every concurrent switch waits for.
"""

from functools import cache

from sqlalchemy import bindparam, exists, func, select

from db.models import Client, Contact, Delivery, Link


@cache
def by_id_for_update(model):
    """SELECT ... FOR UPDATE of one row of `model` by :record_id."""
    return select(model).where(model.id == bindparam("record_id")).with_for_update()


CONTACTS_CLIENT = select(Contact.client_id).where(Contact.id == bindparam("contact_id"))
LOCK_CLIENT = select(Client.id).where(Client.id == bindparam("client_id")).with_for_update()

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

PENDING_FOR_RECORD = select(
    exists().where(
        Delivery.record_type == bindparam("record_type"),
        Delivery.record_id == bindparam("record_id"),
        Delivery.state.in_(WAITING),
        Delivery.id != bindparam("other_than"),
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
