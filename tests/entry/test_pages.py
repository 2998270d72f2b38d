"""Order entry's pages: each step renders in a pinned number of queries, and the forms post
to the services (refusals shown, nothing changed)."""

import pytest
from django.urls import reverse

from entry.models import Draft
from orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


def url(name, draft, **kw):
    return reverse(f"entry:{name}", kwargs={"pk": draft.pk, **kw})


def test_start_from_the_plus_menu_opens_the_contact_step(clerk_client, clerk):
    response = clerk_client.get(reverse("orders:list"))
    assert b"Add cart order" in response.content and b"New order" in response.content
    response = clerk_client.post(reverse("entry:start"))
    draft = Draft.objects.get(owner=clerk)
    assert response["Location"] == url("contact", draft)


# Session, user and permissions (the first request also loads the content types), the draft and its lines, allocations and destinations, the
# contact's addresses, then each page's own: promotions' pricing (3-4), the running promotions,
# the shipping speeds.
STEP_QUERIES = {"contact": 8, "items": 11, "shipping": 9, "review": 11}


@pytest.mark.parametrize("step", list(STEP_QUERIES))
def test_step_pages_render_in_a_constant_number_of_queries(
    clerk_client, clerk, shop, ready_draft, step, django_assert_max_num_queries
):
    with django_assert_max_num_queries(STEP_QUERIES[step]):
        response = clerk_client.get(url(step, ready_draft))
    assert response.status_code == 200
    assert b"Field Shirt" in response.content or step == "contact"
    # More items, two addresses, a promotion: the same number of queries.
    from entry import services

    large = services.draft_line_add(
        draft_id=ready_draft.pk, owner=clerk, variant_id=shop["large"].pk, quantity=2
    )
    services.draft_promotion_add(
        draft_id=ready_draft.pk, owner=clerk, promotion_id=shop["bundle"].pk
    )
    small, mugs = ready_draft.lines.exclude(pk=large.pk).order_by("id")
    services.draft_shipping_set(
        draft_id=ready_draft.pk,
        owner=clerk,
        allocations=[
            services.Allocation(small.pk, shop["home"].pk, 2),
            services.Allocation(large.pk, shop["other"].pk, 2, is_gift=True),
            services.Allocation(mugs.pk, shop["other"].pk, 2),
        ],
        speeds={shop["home"].pk: shop["standard"].pk, shop["other"].pk: shop["express"].pk},
        ship_to_many=True,
    )
    with django_assert_max_num_queries(STEP_QUERIES[step]):
        assert clerk_client.get(url(step, ready_draft)).status_code == 200


def test_drafts_tab_lists_own_drafts(clerk_client, ready_draft, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = clerk_client.get(reverse("entry:drafts"))
    assert f"Draft {ready_draft.pk}".encode() in response.content


def test_contact_suggestions_as_typed_and_filtered(clerk_client, shop, ready_draft):
    profile = shop["profile"]
    response = clerk_client.get(
        url("contact_suggestions", ready_draft), {"q": profile.last_name[:3]}
    )
    assert str(profile).encode() in response.content
    response = clerk_client.get(
        url("contact_suggestions", ready_draft),
        {"city": shop["home"].city, "domain": "example.com"},
    )
    assert str(profile).encode() in response.content
    response = clerk_client.get(url("contact_suggestions", ready_draft), {"ordered_before": "on"})
    assert str(profile).encode() not in response.content


def test_item_dialog_finds_a_product_and_adds_a_variant(clerk_client, shop, ready_draft):
    response = clerk_client.get(url("product_search", ready_draft), {"q": "field sh"})
    assert b"Field Shirt" in response.content
    response = clerk_client.get(
        url("item_dialog", ready_draft), {"product": shop["small"].product_id}
    )
    assert b"size: L" in response.content and b"5 in stock" in response.content
    response = clerk_client.post(
        url("line_save", ready_draft), {"product": shop["small"].product_id, "quantity": "1"}
    )
    assert b"Choose the item&#x27;s variant" in response.content
    response = clerk_client.post(
        url("line_save", ready_draft),
        {"product": shop["small"].product_id, "variant": shop["large"].pk, "quantity": "1"},
    )
    assert response.status_code == 204 and response["HX-Redirect"] == url("items", ready_draft)
    assert ready_draft.lines.count() == 2


def test_place_from_review_lands_on_the_order(clerk_client, ready_draft):
    response = clerk_client.post(url("place", ready_draft), {"payment": "later"})
    order = Order.objects.get()
    assert response["Location"] == order.get_absolute_url()
    response = clerk_client.get(order.get_absolute_url())
    assert response.status_code == 200


def test_place_refused_shows_the_reason_and_keeps_the_draft(clerk_client, shop, ready_draft):
    shop["small"].__class__.objects.filter(pk=shop["small"].pk).update(price="25.00")
    response = clerk_client.post(url("place", ready_draft), {"payment": "later"})
    assert response.status_code == 200
    assert b"changed from 20.00 to 25.00" in response.content
    assert Draft.objects.filter(pk=ready_draft.pk).exists()


def test_order_page_groups_lines_by_address_with_gift_slips(
    clerk_client, shop, clerk, ready_draft, django_assert_max_num_queries
):
    from entry import placing, services
    from orders.actors import Actor

    line = ready_draft.lines.get()
    services.draft_shipping_set(
        draft_id=ready_draft.pk,
        owner=clerk,
        allocations=[
            services.Allocation(line.pk, shop["home"].pk, 1),
            services.Allocation(line.pk, shop["other"].pk, 1, is_gift=True),
        ],
        speeds={shop["home"].pk: shop["standard"].pk, shop["other"].pk: shop["express"].pk},
        ship_to_many=True,
    )
    order = placing.draft_place(
        draft_id=ready_draft.pk, owner=clerk, payment=placing.Payment(), actor=Actor.of(clerk)
    ).order
    page = clerk_client.get(order.get_absolute_url()).content.decode()
    assert page.count("Packing slip") == 2 and "Overnight" in page and "Gift" in page
    slip = reverse("shipping:packing_slip", kwargs={"number": order.number, "position": 0})
    with django_assert_max_num_queries(12):
        first = clerk_client.get(slip).content.decode()
    assert "$20.00" in first and "Gift" not in first
    slip = reverse("shipping:packing_slip", kwargs={"number": order.number, "position": 1})
    gift = clerk_client.get(slip).content.decode()
    assert "$20.00" not in gift and "prices are left off" in gift


def test_bad_contact_and_address_input_is_named_and_writes_nothing(clerk_client, shop, ready_draft):
    from customers.models import Address, Profile

    profiles, addresses = Profile.objects.count(), Address.objects.count()
    response = clerk_client.post(url("contact_create", ready_draft), {"email": "not-an-email"})
    assert b"Enter a valid email address." in response.content
    response = clerk_client.post(url("contact_create", ready_draft), {})
    assert b"A contact needs a name, a company or an email address." in response.content
    response = clerk_client.post(url("address_add", ready_draft), {"line1": "1 Elm"})
    assert b"Enter a city." in response.content and b"Enter a country." in response.content
    assert (Profile.objects.count(), Address.objects.count()) == (profiles, addresses)


def test_payment_input_refused_on_review_places_nothing(clerk_client, ready_draft):
    response = clerk_client.post(url("place", ready_draft), {"payment": "charge"})
    assert b"Enter the card&#x27;s token to charge it." in response.content
    response = clerk_client.post(
        url("place", ready_draft),
        {"payment": "offline", "method": "check", "amount": "1.00", "reference": "CHK"},
    )
    assert b"An offline payment pays the whole order: enter its total, $49.00." in (
        response.content
    )
    assert not Order.objects.exists() and Draft.objects.filter(pk=ready_draft.pk).exists()


def test_shipping_form_refusal_is_shown_and_keeps_the_choice(clerk_client, shop, ready_draft):
    line = ready_draft.lines.get()
    response = clerk_client.post(
        url("shipping_save", ready_draft),
        {"many": "1", f"qty_{line.pk}_{shop['home'].pk}": "1"},
        follow=True,
    )
    assert "1 of 2 assigned to addresses" in response.content.decode()
    assert ready_draft.destinations.get().address_id == shop["home"].pk  # as it was


def test_review_sends_items_without_an_address_to_shipping(clerk_client, shop, ready_draft):
    clerk_client.post(
        url("line_save", ready_draft),
        {"product": shop["large"].product_id, "variant": shop["large"].pk, "quantity": "1"},
    )
    response = clerk_client.get(url("review", ready_draft))
    assert response["Location"] == url("shipping", ready_draft)
