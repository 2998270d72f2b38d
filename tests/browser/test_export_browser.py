"""Export in Chromium: the orders list, filtered, downloads as CSV with exactly its rows."""

import pytest

from orders.models import OrderStatus
from tests.factories import UserFactory, order_with_lines

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_export_the_filtered_list_as_csv(page, login, live_server):
    UserFactory(role="staff", username="clerk")
    paid = [order_with_lines(lines=1, status=OrderStatus.PAID) for _ in range(3)]
    order_with_lines(lines=1, status=OrderStatus.PENDING)
    login("clerk", "pass-word-123", next_path="/orders/?status=paid")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export").click()
    path = download.value.path()
    assert download.value.suggested_filename.endswith(".csv")
    rows = path.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("Order,Placed,Channel")
    assert sorted(int(row.split(",")[0]) for row in rows[1:]) == sorted(o.number for o in paid)
