"""/v1/tokens: an admin issues, lists and revokes the gateway's tokens."""

from flask.views import MethodView

from api.blueprint import protected_blueprint
from api.context import actor, uow
from schemas.tokens import NewTokenSchema, TokenCreateSchema, TokenSchema
from services import tokens

blp = protected_blueprint(
    "tokens", __name__, url_prefix="/tokens", description="API tokens (right: admin)."
)


@blp.route("")
class TokensViews(MethodView):
    @blp.response(200, TokenSchema(many=True))
    @blp.problems(401, 403)
    def get(self):
        """List tokens, never their secrets. Right: admin."""
        return tokens.list_tokens(uow(), actor())

    @blp.arguments(TokenCreateSchema)
    @blp.response(201, NewTokenSchema)
    @blp.problems(400, 401, 403, 409, 413)
    @blp.mutation()
    def post(self, data):
        """Issue a token; its secret is in `token`, shown this once. Right: admin."""
        token, secret = tokens.create_token(
            uow(), actor(), data["name"], data["rights"], data.get("expires_at")
        )
        token.secret = secret  # carried to the answer only; never stored
        return token


@blp.route("/<string:name>")
class TokenByNameViews(MethodView):
    @blp.response(204)
    @blp.problems(401, 403, 404)
    @blp.mutation()
    def delete(self, name):
        """Revoke a token; it is refused from the next request on. Right: admin."""
        tokens.revoke_token(uow(), actor(), name)
