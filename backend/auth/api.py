"""HTTP endpoints for login, logout, the current user and user administration."""

from flask import g, request
from flask.views import MethodView

from ..core.blueprint import Blueprint
from ..core.pagination import SelectPage
from ..extensions import db
from . import service
from .schemas import (
    LoginSchema,
    PasswordResetResultSchema,
    PasswordResetSchema,
    TokenSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Login, logout and users")


@blp.route("/auth/login")
class Login(MethodView):
    @blp.doc(security=[])
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    def post(self, data):
        """Log in: exchange a username and password for a bearer token that expires."""
        token, user, expires_at = service.login(data["username"], data["password"], request.remote_addr or "")
        db.session.commit()
        return {"token": token, "token_type": "Bearer", "expires_at": expires_at, "user": user}


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self):
        """Revoke the token this request was made with."""
        service.logout(g.token)
        db.session.commit()


@blp.route("/auth/me")
class Me(MethodView):
    @blp.response(200, UserSchema)
    def get(self):
        """The logged-in user."""
        return g.user


@blp.route("/users")
class Users(MethodView):
    @blp.arguments(UserQuerySchema, location="query")
    @blp.response(200, UserSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, filters):
        """List users (admin and HQ: all; a manager: their region's)."""
        return service.users_query(g.user, filters)

    @blp.arguments(UserSchema)
    @blp.response(201, UserSchema)
    def post(self, data):
        """Create a user (admin)."""
        user = service.create_user(g.user, data)
        db.session.commit()
        return user


@blp.route("/users/<int:user_id>")
class UserById(MethodView):
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """One user."""
        return service.get_user(g.user, user_id)

    @blp.arguments(UserUpdateSchema(partial=True))
    @blp.response(200, UserSchema)
    def patch(self, data, user_id):
        """Change a user (admin); a new password revokes the user's tokens."""
        user = service.update_user(g.user, user_id, data)
        db.session.commit()
        return user


@blp.route("/users/<int:user_id>/password")
class UserPassword(MethodView):
    @blp.arguments(PasswordResetSchema)
    @blp.response(200, PasswordResetResultSchema)
    def post(self, data, user_id):
        """Reset a user's password (admin): the one sent, or, with none, one the server makes and
        answers this once. Every session of the user ends; they sign in again with it."""
        user, generated = service.reset_password(g.user, user_id, data.get("password"))
        db.session.commit()
        return {"user": user, "password": generated}


# An export's signed download link (POST /auth/download-link) adds its route to `blp`.
from . import downloads  # noqa: E402, F401
