"""/v1/clients/{id}/links and /v1/contacts/{id}/links: the CaseWare Cloud switch and history."""

from flask.views import MethodView

from api.blueprint import protected_blueprint
from api.context import ETAG_HEADER, actor, etag_header, if_match, page_of, reader, uow, upstream
from schemas.base import PageArgsSchema
from schemas.links import LINK_EXAMPLES, LinkHistoryPageSchema, LinksPatchSchema, LinksSchema
from services import links

blp = protected_blueprint(
    "links", __name__, description='The switch "Koppelen met CaseWare Cloud: Ja/Nee".'
)

# A switch CaseWare Cloud could not confirm yet is kept and answered 202.
accepted = blp.alt_response(
    202,
    schema=LinksSchema,
    headers=ETAG_HEADER,
    success=True,
    description="Accepted: kept, and delivered in the background (sync pending)",
)
CLIENT = "/clients/<id:client_id>/links"
CONTACT = "/contacts/<id:contact_id>/links"
SWITCH_DOC = (
    "200 synced once CaseWare Cloud confirmed it within the request; 202 pending when it "
    "cannot be reached or does not answer in time (the switch is kept and delivered in the "
    "background, in order); "
    "422 not_eligible with the reasons; 422 upstream_rejected when CaseWare Cloud refuses the "
    "data (nothing changes)."
)


@blp.route(CLIENT)
class ClientLinksViews(MethodView):
    @blp.response(200, LinksSchema, headers=ETAG_HEADER, examples=LINK_EXAMPLES)
    @blp.problems(401, 403, 404)
    def get(self, client_id):
        """A client's link, with eligibility. Right: links:read."""
        view, tag = links.get_link(reader(), actor(), "client", client_id)
        return view, etag_header(tag)

    @blp.arguments(LinksPatchSchema)
    @blp.response(200, LinksSchema, headers=ETAG_HEADER, examples=LINK_EXAMPLES)
    @accepted
    @blp.problems(400, 401, 403, 404, 412, 413)
    @blp.mutation(if_match=True)
    @blp.doc(description=SWITCH_DOC + " Off: contacts withdrawn, entity set inactive.")
    def patch(self, body, client_id):
        """Switch a client's link on or off. Right: links:write."""
        active = body["caseware_cloud"]["active"]
        view, tag, delivered = links.switch_client(
            uow(), reader(), actor(), upstream(), client_id, active, if_match()
        )
        return view, 200 if delivered else 202, etag_header(tag)


@blp.route(CONTACT)
class ContactLinksViews(MethodView):
    @blp.response(200, LinksSchema, headers=ETAG_HEADER, examples=LINK_EXAMPLES)
    @blp.problems(401, 403, 404)
    def get(self, contact_id):
        """A contact's link, with eligibility. Right: links:read."""
        view, tag = links.get_link(reader(), actor(), "contact", contact_id)
        return view, etag_header(tag)

    @blp.arguments(LinksPatchSchema)
    @blp.response(200, LinksSchema, headers=ETAG_HEADER, examples=LINK_EXAMPLES)
    @accepted
    @blp.problems(400, 401, 403, 404, 412, 413)
    @blp.mutation(if_match=True)
    @blp.doc(description=SWITCH_DOC + " Off: access withdrawn, user set inactive.")
    def patch(self, body, contact_id):
        """Switch a contact's CaseWare Cloud login on or off. Right: links:write."""
        active = body["caseware_cloud"]["active"]
        view, tag, delivered = links.switch_contact(
            uow(), reader(), actor(), upstream(), contact_id, active, if_match()
        )
        return view, 200 if delivered else 202, etag_header(tag)


@blp.route(CLIENT + "/history")
class ClientLinkHistoryView(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, LinkHistoryPageSchema)
    @blp.problems(401, 403, 404)
    def get(self, args, client_id):
        """A client's link history, newest first. Right: links:read."""
        items, total = links.history(reader(), actor(), "client", client_id, **args)
        return page_of(items, total, args)


@blp.route(CONTACT + "/history")
class ContactLinkHistoryView(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, LinkHistoryPageSchema)
    @blp.problems(401, 403, 404)
    def get(self, args, contact_id):
        """A contact's link history, newest first. Right: links:read."""
        items, total = links.history(reader(), actor(), "contact", contact_id, **args)
        return page_of(items, total, args)
