"""/v1/clients/{id}/contacts and /v1/contacts/{id}: a client's contact persons."""

from flask.views import MethodView

from api.blueprint import protected_blueprint
from api.context import ETAG_HEADER, actor, etag_header, if_match, page_of, reader, uow, upstream
from schemas.base import ContactFilterSchema
from schemas.contacts import (
    ContactCreateSchema,
    ContactPageSchema,
    ContactSchema,
    ContactUpdateSchema,
)
from services import contacts
from services.contacts import contact_etag

blp = protected_blueprint("contacts", __name__, description="Contact persons (contactpersonen).")


@blp.route("/clients/<id:client_id>/contacts")
class ClientContactsViews(MethodView):
    @blp.arguments(ContactFilterSchema, location="query")
    @blp.response(200, ContactPageSchema)
    @blp.problems(401, 403, 404)
    def get(self, args, client_id):
        """List a client's contacts. Right: clients:read."""
        items, total = contacts.list_contacts(
            reader(), actor(), client_id, args["page"], args["page_size"], args.get("linked")
        )
        return page_of(items, total, args)

    @blp.arguments(ContactCreateSchema)
    @blp.response(201, ContactSchema, headers=ETAG_HEADER)
    @blp.problems(400, 401, 403, 404, 413)
    @blp.mutation()
    def post(self, data, client_id):
        """Add a contact to a client. Right: clients:write."""
        contact = contacts.create_contact(uow(), actor(), client_id, data)
        return contact, {
            "Location": f"/v1/contacts/{contact.id}",
            **etag_header(contact_etag(contact)),
        }


@blp.route("/contacts/<id:contact_id>")
class ContactByIdViews(MethodView):
    @blp.response(200, ContactSchema, headers=ETAG_HEADER)
    @blp.problems(401, 403, 404)
    def get(self, contact_id):
        """Read a contact. Right: clients:read."""
        contact = contacts.get_contact(reader(), actor(), contact_id)
        return contact, etag_header(contact_etag(contact))

    @blp.arguments(ContactUpdateSchema)
    @blp.response(200, ContactSchema, headers=ETAG_HEADER)
    @blp.problems(400, 401, 403, 404, 412, 413)
    @blp.mutation(if_match=True)
    def patch(self, changes, contact_id):
        """Change a contact. Right: clients:write."""
        contact = contacts.update_contact(
            uow(), actor(), upstream(), contact_id, changes, if_match()
        )
        return contact, etag_header(contact_etag(contact))

    @blp.response(204)
    @blp.problems(401, 403, 404, 412)
    @blp.mutation(if_match=True)
    def delete(self, contact_id):
        """Delete a contact. Right: clients:write."""
        contacts.delete_contact(uow(), actor(), upstream(), contact_id, if_match())
