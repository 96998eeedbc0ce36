"""/v1/clients: the firm's clients (klanten)."""

from flask.views import MethodView

from api.blueprint import protected_blueprint
from api.context import ETAG_HEADER, actor, etag_header, if_match, page_of, reader, uow, upstream
from schemas.clients import (
    ClientCreateSchema,
    ClientFilterSchema,
    ClientPageSchema,
    ClientSchema,
    ClientUpdateSchema,
)
from services import clients
from services.clients import client_etag

blp = protected_blueprint(
    "clients", __name__, url_prefix="/clients", description="Clients (klanten)."
)


@blp.route("")
class ClientsViews(MethodView):
    @blp.arguments(ClientFilterSchema, location="query")
    @blp.response(200, ClientPageSchema)
    @blp.problems(401, 403)
    def get(self, args):
        """List clients. Right: clients:read."""
        page, page_size = args.pop("page"), args.pop("page_size")
        items, total = clients.list_clients(reader(), actor(), args, page, page_size)
        return page_of(items, total, {"page": page, "page_size": page_size})

    @blp.arguments(ClientCreateSchema)
    @blp.response(201, ClientSchema, headers=ETAG_HEADER)
    @blp.problems(400, 401, 403, 409, 413)
    @blp.mutation()
    def post(self, data):
        """Create a client. Right: clients:write."""
        client = clients.create_client(uow(), actor(), data)
        return client, {"Location": f"/v1/clients/{client.id}", **etag_header(client_etag(client))}


@blp.route("/<id:client_id>")
class ClientByIdViews(MethodView):
    @blp.response(200, ClientSchema, headers=ETAG_HEADER)
    @blp.problems(401, 403, 404)
    def get(self, client_id):
        """Read a client. Right: clients:read."""
        client = clients.get_client(reader(), actor(), client_id)
        return client, etag_header(client_etag(client))

    @blp.arguments(ClientUpdateSchema)
    @blp.response(200, ClientSchema, headers=ETAG_HEADER)
    @blp.problems(400, 401, 403, 404, 409, 412, 413)
    @blp.mutation(if_match=True)
    def patch(self, changes, client_id):
        """Change a client (If-Match guards against lost updates). Right: clients:write."""
        client = clients.update_client(uow(), actor(), upstream(), client_id, changes, if_match())
        return client, etag_header(client_etag(client))

    @blp.response(204)
    @blp.problems(401, 403, 404, 412)
    @blp.mutation(if_match=True)
    def delete(self, client_id):
        """Delete a client with its contacts. Right: clients:write."""
        clients.delete_client(uow(), actor(), upstream(), client_id, if_match())
