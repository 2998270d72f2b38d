"""Saved views: a list's filters under a name, personal or shared, shown as tabs."""

import html

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import SavedView
from orders.selectors import saved_view_query, saved_views_for
from orders.services import OrderError, saved_view_delete, saved_view_save
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SAVE = reverse("orders:saved_view_save")
LIST = reverse("orders:list")


def save(user, name="Paid online", query="status=paid&channel=online", shared=False, page="orders"):
    return saved_view_save(user=user, page=page, name=name, query=query, shared=shared)


def test_the_query_is_kept_without_paging_and_in_a_stable_order():
    query = "status=paid&after=abc&q=&channel=online&before=x&csrfmiddlewaretoken=t&sort=-total"
    assert saved_view_query(query) == "channel=online&sort=-total&status=paid"


def test_staff_save_a_view_and_see_it_as_a_tab(staff_client, staff_user):
    response = staff_client.post(
        SAVE, {"page": "orders", "name": " Paid  online ", "query": "status=paid&channel=online"}
    )
    view = SavedView.objects.get()
    assert (view.owner, view.name, view.query, view.shared) == (
        staff_user, "Paid online", "channel=online&status=paid", False,
    )  # fmt: skip
    assert response["Location"] == f"{LIST}?channel=online&status=paid"
    page = staff_client.get(response["Location"]).content.decode()
    assert "Saved “Paid online”: it is in your tabs now." in page
    assert f'href="{LIST}?channel=online&amp;status=paid" aria-current="page"' in page


def test_saving_under_a_name_one_has_replaces_that_view(staff_user):
    first = save(staff_user)
    second = save(staff_user, name="PAID ONLINE", query="status=paid", shared=True)
    assert second.pk == first.pk and SavedView.objects.count() == 1
    assert (second.name, second.query, second.shared) == ("PAID ONLINE", "status=paid", True)


@pytest.mark.parametrize(
    ("name", "query", "page", "message"),
    [
        ("", "status=paid", "orders", "Give the view a name"),
        ("   ", "status=paid", "orders", "Give the view a name"),
        ("x" * 61, "status=paid", "orders", "at most 60 characters"),
        ("All", "after=abc&q=", "orders", "Filter the list first"),
        ("Mine", "q=" + "x" * 1000, "orders", "too long to save"),
        ("Mine", "status=paid", "payroll", "There is no list called “payroll”"),
    ],
)
def test_bad_views_are_refused_and_nothing_is_saved(staff_user, name, query, page, message):
    with pytest.raises(OrderError, match=message):
        save(staff_user, name=name, query=query, page=page)
    assert not SavedView.objects.exists()


def test_a_refused_save_says_why_on_the_list(staff_client):
    response = staff_client.post(
        SAVE, {"page": "orders", "name": "", "query": "status=paid"}, follow=True
    )
    assert "Give the view a name" in response.content.decode()
    assert not SavedView.objects.exists()


def test_shared_views_show_for_colleagues_personal_ones_do_not(staff_user):
    colleague = UserFactory(role="staff")
    save(staff_user, name="Mine")
    save(staff_user, name="Team", query="status=pending", shared=True)
    save(colleague, name="Theirs", query="status=cancelled")
    save(staff_user, name="Grid", query="status=paid", page="transactions")
    seen = saved_views_for(user=colleague, page="orders", query="status=pending")
    assert [(v.name, v.mine, v.active) for v in seen] == [
        ("Team", False, True),
        ("Theirs", True, False),
    ]


def test_the_list_reads_saved_views_in_one_query(staff_user, django_assert_num_queries):
    for i in range(5):
        save(staff_user, name=f"View {i}", query=f"status=paid&per_page={i + 1}", shared=i % 2)
    with django_assert_num_queries(1):
        views = saved_views_for(user=staff_user, page="orders", query="")
        assert len(views) == 5 and all(view.url for view in views) and views[0].owner


def test_only_the_owner_deletes_a_personal_view(staff_user):
    view = save(staff_user)
    with pytest.raises(OrderError, match="only they can delete it"):
        saved_view_delete(user=UserFactory(role="staff"), view_id=view.pk)
    with pytest.raises(OrderError, match="only they can delete it"):
        saved_view_delete(user=UserFactory(role="admin"), view_id=view.pk)
    saved_view_delete(user=staff_user, view_id=view.pk)
    assert not SavedView.objects.exists()


def test_a_store_admin_may_delete_a_shared_view_staff_may_not(staff_user):
    view = save(staff_user, shared=True)
    with pytest.raises(OrderError):
        saved_view_delete(user=UserFactory(role="staff"), view_id=view.pk)
    saved_view_delete(user=UserFactory(role="admin"), view_id=view.pk)
    assert not SavedView.objects.exists()


def test_delete_through_the_page(staff_client, staff_user):
    view = save(staff_user)
    response = staff_client.post(
        reverse("orders:saved_view_delete", args=[view.pk]), {"page": "orders"}, follow=True
    )
    assert "Deleted the view “Paid online”." in response.content.decode()
    assert not SavedView.objects.exists()
    response = staff_client.post(reverse("orders:saved_view_delete", args=[view.pk]), follow=True)
    assert "That view no longer exists." in response.content.decode()


def test_saving_needs_the_permission(client):
    viewer = UserFactory()
    viewer.save()
    client.force_login(viewer)
    assert (
        client.post(SAVE, {"page": "orders", "name": "x", "query": "status=paid"}).status_code
        == 403
    )
    assert not SavedView.objects.exists()


def test_a_name_with_a_nul_is_refused_naming_the_field(staff_client, staff_user):
    with pytest.raises(OrderError, match="view's name: Must not contain the NUL"):
        save(staff_user, name="Paid\x00online")
    response = staff_client.post(
        SAVE, {"page": "orders", "name": "Paid\x00online", "query": "status=paid"}, follow=True
    )
    assert response.status_code == 200
    assert "The view&#x27;s name: Must not contain the NUL" in response.content.decode()
    assert not SavedView.objects.exists()


MANAGE = reverse("orders:saved_view_list")


def test_the_saved_views_page_lists_ones_own_and_the_shared_ones_not_a_colleagues_private():
    me, colleague = UserFactory(role="staff"), UserFactory(role="staff", username="sam")
    save(me, name="Mine")
    save(colleague, name="Team", shared=True, page="transactions", query="status=paid")
    save(colleague, name="Private to Sam")
    client = Client()
    client.force_login(me)
    page = client.get(MANAGE).content.decode()
    assert "Mine" in page and "Team" in page
    assert "Private to Sam" not in page
    mine, team = SavedView.objects.get(name="Mine"), SavedView.objects.get(name="Team")
    assert f'action="{reverse("orders:saved_view_delete", args=[mine.pk])}"' in page
    # A colleague's shared view is theirs to delete (or a store admin's), not order staff's.
    assert f'action="{reverse("orders:saved_view_delete", args=[team.pk])}"' not in page
    assert f'href="{reverse("orders:grid")}?status=paid"' in page


def test_a_store_admin_may_delete_a_shared_view_from_the_saved_views_page(store_admin_client):
    team = save(UserFactory(role="staff"), name="Team", shared=True)
    page = store_admin_client.get(MANAGE).content.decode()
    assert f'action="{reverse("orders:saved_view_delete", args=[team.pk])}"' in page
    response = store_admin_client.post(
        reverse("orders:saved_view_delete", args=[team.pk]), {"next": "manage"}
    )
    assert response["Location"] == MANAGE
    assert not SavedView.objects.exists()
    assert "Deleted the view “Team”." in store_admin_client.get(MANAGE).content.decode()


def test_deleting_a_colleagues_view_from_the_page_is_refused_and_says_whose(staff_client):
    theirs = save(UserFactory(role="staff", username="sam"), name="Team", shared=True)
    response = staff_client.post(
        reverse("orders:saved_view_delete", args=[theirs.pk]), {"next": "manage"}
    )
    assert response["Location"] == MANAGE
    page = html.unescape(staff_client.get(MANAGE).content.decode())
    assert "“Team” is sam's view: only they can delete it." in page
    assert SavedView.objects.filter(pk=theirs.pk).exists()


def test_no_saved_views_yet_says_how_to_make_one(staff_client):
    assert "No saved views yet." in staff_client.get(MANAGE).content.decode()
