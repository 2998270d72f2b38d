"""The lookup box's type-ahead: orders by the first digits of their number."""

import pytest
from django.urls import reverse

from orders.models import OrderStatus
from orders.selectors import order_number_suggestions
from tests.factories import UserFactory, order_with_lines

pytestmark = pytest.mark.django_db
URL = reverse("orders:number_suggestions")


@pytest.fixture
def orders():
    numbers = [104, 1040, 1049, 10400, 10499, 1050, 105, 2104, 104999]
    return {n: order_with_lines(lines=1, number=n, customer_name=f"Buyer {n}") for n in numbers}


def numbers(results):
    return [result["number"] for result in results]


def test_orders_whose_number_starts_with_the_digits_shortest_first(staff_user, orders):
    found = order_number_suggestions(user=staff_user, text="104")
    assert numbers(found) == [104, 1040, 1049, 10400, 10499, 104999]
    assert numbers(order_number_suggestions(user=staff_user, text="#1049")) == [1049, 10499, 104999]
    first = found[0]
    assert first == {
        "number": 104,
        "url": orders[104].get_absolute_url(),
        "customer": "Buyer 104",
        "status": "Pending",
        "total": first["total"],
    }


def test_at_most_a_handful(staff_user, orders):
    assert numbers(order_number_suggestions(user=staff_user, text="1", limit=3)) == [
        104, 105, 1040,
    ]  # fmt: skip


@pytest.mark.parametrize("text", ["", "abc", "10a", "-104", "1" * 19, "0"])
def test_anything_but_a_number_suggests_nothing(staff_user, orders, text):
    assert order_number_suggestions(user=staff_user, text=text) == []


def test_the_endpoint_answers_json_in_three_queries(
    staff_client, orders, django_assert_num_queries
):
    staff_client.get(URL, {"q": "1"})  # warm: the session and permissions are cached
    with django_assert_num_queries(3):  # the user; the newest number; the ranges' numbers
        response = staff_client.get(URL, {"q": "104"})
    assert response.status_code == 200
    assert numbers(response.json()["results"]) == [104, 1040, 1049, 10400, 10499, 104999]


def test_the_status_is_its_label(staff_client):
    order_with_lines(lines=1, number=777, status=OrderStatus.SHIPPED)
    (result,) = staff_client.get(URL, {"q": "777"}).json()["results"]
    assert result["status"] == "Shipped"


def test_only_for_those_who_see_orders(client, orders):
    nobody = UserFactory()
    nobody.save()
    client.force_login(nobody)
    assert client.get(URL, {"q": "104"}).status_code == 403
