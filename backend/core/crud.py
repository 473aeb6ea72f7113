"""Master-data CRUD shared by org and catalogue: one service class and one endpoint factory.

Master data (regions, partners, products, competitor models, promo materials, checklist items)
is read by every role and written by admins. The rules that differ per table are declared:
which fields must be unique, which reference another table, which filters a list accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import g
from flask.views import MethodView
from sqlalchemy import select

from ..extensions import db
from .auth import check_role
from .blueprint import Blueprint
from .errors import Conflict, InvalidInput, NotFound
from .pagination import SelectPage

ADMIN = "admin"


@dataclass
class MasterData:
    model: type
    label: str
    unique: tuple[str | tuple[str, ...], ...] = ()
    references: dict[str, type] = field(default_factory=dict)
    filters: tuple[str, ...] = ()
    search: tuple[str, ...] = ()
    order_by: str = "id"
    # Rules across fields or rows, called as rule(data, current) with current None on create.
    rules: tuple[Callable[[dict, Any], None], ...] = ()

    def query(self, actor, args: dict):
        stmt = select(self.model).order_by(getattr(self.model, self.order_by), self.model.id)
        for name in self.filters:
            if args.get(name) is not None:
                stmt = stmt.where(getattr(self.model, name) == args[name])
        if args.get("q") and self.search:
            like = f"%{args['q']}%"
            clause = None
            for col in self.search:
                term = getattr(self.model, col).ilike(like)
                clause = term if clause is None else clause | term
            stmt = stmt.where(clause)
        return stmt

    def get(self, actor, obj_id: int):
        obj = db.session.get(self.model, obj_id)
        if obj is None:
            raise NotFound(f"No {self.label} {obj_id}.", reason="record.not_found", params={"id": obj_id})
        return obj

    def _check(self, data: dict, current: Any = None) -> None:
        for name, model in self.references.items():
            value = data.get(name)
            if value is not None and db.session.get(model, value) is None:
                raise InvalidInput(
                    f"Unknown {name}: {value}.",
                    field=name,
                    reason="unknown_reference",
                    params={"field": name, "value": value},
                )
        for rule in self.rules:
            rule(data, current)
        for key in self.unique:
            cols = key if isinstance(key, tuple) else (key,)
            if not any(c in data for c in cols):
                continue
            values = {c: data.get(c, getattr(current, c, None)) for c in cols}
            stmt = select(self.model.id).where(*(getattr(self.model, c) == v for c, v in values.items()))
            if current is not None:
                stmt = stmt.where(self.model.id != current.id)
            if db.session.scalar(stmt) is not None:
                shown = ", ".join(f"{c}={v}" for c, v in values.items())
                raise Conflict(
                    f"A {self.label} with {shown} already exists.",
                    field=cols[-1],
                    reason="record.duplicate",
                    params={"fields": list(cols)},
                )

    def create(self, actor, data: dict):
        check_role(actor, ADMIN)
        self._check(data)
        obj = self.model(**data)
        db.session.add(obj)
        db.session.flush()
        return obj

    def update(self, actor, obj_id: int, data: dict):
        check_role(actor, ADMIN)
        obj = self.get(actor, obj_id)
        self._check(data, obj)
        for key, value in data.items():
            setattr(obj, key, value)
        db.session.flush()
        return obj


def register_crud(
    blp: Blueprint,
    path: str,
    service: MasterData,
    schema: type,
    update_schema,
    query_schema: type,
) -> None:
    """Add `GET/POST path` and `GET/PATCH path/<id>` endpoints backed by `service`."""
    label = service.label

    class Collection(MethodView):
        @blp.arguments(query_schema, location="query")
        @blp.response(200, schema(many=True))
        @blp.paginate(SelectPage)
        def get(self, args):
            return service.query(g.user, args)

        @blp.arguments(schema)
        @blp.response(201, schema)
        def post(self, data):
            obj = service.create(g.user, data)
            db.session.commit()
            return obj

    class Item(MethodView):
        @blp.response(200, schema)
        def get(self, obj_id):
            return service.get(g.user, obj_id)

        @blp.arguments(update_schema)
        @blp.response(200, schema)
        def patch(self, data, obj_id):
            obj = service.update(g.user, obj_id, data)
            db.session.commit()
            return obj

    Collection.get.__doc__ = f"List {label}s (paginated, filterable)."
    Collection.post.__doc__ = f"Create a {label} (admin)."
    Item.get.__doc__ = f"One {label}."
    Item.patch.__doc__ = f"Change a {label} (admin)."
    name = path.strip("/").replace("-", "_")
    Collection.__name__ = f"{name}_collection"
    Item.__name__ = f"{name}_item"
    blp.route(path, endpoint=f"{name}_collection")(Collection)
    blp.route(f"{path}/<int:obj_id>", endpoint=f"{name}_item")(Item)


def partial(schema_cls: type):
    """The same schema with every field optional, for PATCH (its own name in the OpenAPI doc)."""
    name = schema_cls.__name__.removesuffix("Schema") + "UpdateSchema"
    return type(name, (schema_cls,), {})(partial=True)
