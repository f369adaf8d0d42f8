"""What a page of a longer list tells the pager macro (templates/macros/pagination.html)."""

from __future__ import annotations


class PageLinks:
    """For a page class with `page`, `per_page` and `total`: the numbers of its links."""

    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(-(-self.total // self.per_page), 1)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1
