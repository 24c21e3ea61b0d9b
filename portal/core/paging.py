"""One page of a list: read ?page= safely, count all rows with one query, fetch one page with LIMIT/OFFSET.

Pages render the GOV.UK pagination component from templates/portal/_pagination.html. A page number that is
not a whole number, or is below 1, is page 1; one beyond the end is the last page (never an error)."""
from __future__ import annotations

from typing import Sequence, TypeVar

from flask import request
from sqlalchemy import Select, func, select

from portal.core import db

PAGE_SIZE = 50
T = TypeVar("T")


def page_number(name: str = "page") -> int:
    """?page= (or another argument) as a page number: 1 for anything missing, malformed or below 1."""
    return max(1, request.args.get(name, 1, type=int) or 1)


def last_page(total: int, size: int) -> int:
    return max(1, -(-total // size))


def count(stmt: Select) -> int:
    """How many rows the statement returns, with one COUNT query (its ORDER BY dropped)."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def page_of(stmt: Select, page: int, size: int = PAGE_SIZE, *, scalars: bool = True) -> tuple[list, int, int]:
    """(rows of the page, total, page) for a statement that already has its stable ORDER BY (with an id as
    the last key). A page beyond the end becomes the last page."""
    total = count(stmt)
    page = min(page, last_page(total, size))
    paged = stmt.limit(size).offset((page - 1) * size)
    rows = list(db.session.scalars(paged)) if scalars else list(db.session.execute(paged))
    return rows, total, page


def slice_of(rows: Sequence[T], page: int, size: int = PAGE_SIZE) -> tuple[list[T], int, int]:
    """The same for a list worked out in Python (a schedule, a computed report): (page rows, total, page)."""
    total = len(rows)
    page = min(page, last_page(total, size))
    return list(rows[(page - 1) * size:page * size]), total, page
