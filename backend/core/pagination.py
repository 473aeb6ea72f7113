"""Paginate SQLAlchemy selects with flask-smorest's @blp.paginate (X-Pagination header)."""

from __future__ import annotations

from flask_smorest import Page
from sqlalchemy import func, select

from ..extensions import db


class SelectPage(Page):
    """Pager for a SQLAlchemy 2 `select()`: counts once, fetches one page with LIMIT/OFFSET."""

    @property
    def items(self):
        stmt = self.collection.offset(self.page_params.first_item).limit(self.page_params.page_size)
        return db.session.scalars(stmt).all()

    @property
    def item_count(self):
        stmt = select(func.count()).select_from(self.collection.order_by(None).subquery())
        return db.session.scalar(stmt)


class RowPage(SelectPage):
    """Pages of a select of several columns: each row as a mapping (`scalars` keeps only the first)."""

    @property
    def items(self):
        stmt = self.collection.offset(self.page_params.first_item).limit(self.page_params.page_size)
        return [dict(row._mapping) for row in db.session.execute(stmt)]
