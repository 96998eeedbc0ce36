"""/v1/tokens: an admin issues, lists and revokes the gateway's tokens."""

from flask.views import MethodView

from api import idempotency
from api.blueprint import protected_blueprint
from api.context import actor, page_of, reader, uow
from schemas.base import PageArgsSchema
from schemas.tokens import NewTokenSchema, TokenCreateSchema, TokenPageSchema
from services import tokens

blp = protected_blueprint(
    "tokens", __name__, url_prefix="/tokens", description="API tokens (right: admin)."
)


@blp.route("")
class TokensViews(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, TokenPageSchema)
    @blp.problems(401, 403)
    def get(self, args):
        """List tokens, never their secrets. Right: admin."""
        items, total = tokens.list_tokens(reader(), actor(), args["page"], args["page_size"])
        return page_of(items, total, args)

    @blp.arguments(TokenCreateSchema)
    @blp.response(201, NewTokenSchema)
    @blp.problems(400, 401, 403, 409, 413)
    @blp.mutation()
    @idempotency.withhold_from_replay("token")
    def post(self, data):
        """Issue a token; its secret is in `token`, shown this once. Right: admin.

        The secret is stored nowhere, only its hash. A retry with the same Idempotency-Key and
        body gets the first answer again (`Idempotent-Replayed: true`) and issues no second
        token, but its `token` is null: the secret cannot be shown twice. Whoever lost it
        revokes the token and issues a new one."""
        token, secret = tokens.create_token(
            uow(), actor(), data["name"], data["rights"], data.get("expires_at")
        )
        token.secret = secret  # carried to this answer only (no cache keeps a /v1 answer)
        return token


@blp.route("/<string:name>")
class TokenByNameViews(MethodView):
    @blp.response(204)
    @blp.problems(401, 403, 404)
    @blp.mutation()
    def delete(self, name):
        """Revoke a token; it is refused from the next request on. Right: admin."""
        tokens.revoke_token(uow(), actor(), name)
