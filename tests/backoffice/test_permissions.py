"""Who may open what: every back-office URL × {anonymous, order staff, store admin}."""

import datetime

import pytest
from django.contrib.messages import ERROR, get_messages
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from customers.models import CustomerSettings
from notifications.models import OutboxMessage
from orders.models import OrderStatus, SavedView
from payments.models import Gateway, Payment
from purchasing.models import PurchaseOrder
from reports.models import Export
from shipping.models import Carrier, Shipment, ShipmentLine, ShippingMethod, TrackingNumber
from shipping.tracking import tracking_token_for
from tests.entry.factories import entry_shop
from tests.factories import (
    ProductVendorFactory,
    ProfileFactory,
    UserFactory,
    VendorFactory,
    api_key,
    order_with_lines,
)
from tests.invoicing.conftest import paid_invoice
from tests.payments.factories import GatewayFactory
from tests.promotions.factories import PromotionFactory, TaxRateFactory

ORDER_NUMBER = 777001
LOGIN = "login"  # the LoginRequiredMiddleware sends anonymous users to settings.LOGIN_URL
ADMIN_LOGIN = "admin-login"
OK = 200
REDIRECT = 302  # a POST that worked: Post/Redirect/Get
# A POST let through that reports back on the page: the vendor here has no SFTP server to try.
REPORTED = "reported"
FORBIDDEN = 403
NOT_FOUND = 404
STOP_POLLING = 286  # htmx's "stop polling": the badge's answer to a tab whose session ended
UPS_OK = "1Z999AA10123456784"
UPS_OTHER_OK = "1Z5R89390357567127"
HTMX = {"HX-Request": "true"}

# (name, method, url (a callable of the objects made for the test), data (or a callable),
# and optionally the request's headers)
ROUTES = {
    "home": ("get", lambda o: reverse("home"), None),
    "logout": ("post", lambda o: reverse("logout"), None),
    "password change form": ("get", lambda o: reverse("password_change"), None),
    "password change done": ("get", lambda o: reverse("password_change_done"), None),
    # login_not_required on purpose: the nav's htmx polls it, past the session's end too, and
    # must not swap the login page into the nav. It answers such a poll "stop polling",
    # redirects a plain request to the login page, and refuses a user who may not view orders.
    "new online orders badge": ("get", lambda o: reverse("orders:new_online"), None, HTMX),
    "bulk status": (
        "post",
        lambda o: reverse("orders:bulk_status"),
        lambda o: {"to": "cancelled", "order": str(o["order"].number)},
    ),
    "order row": (
        "get",
        lambda o: reverse("orders:row", kwargs={"number": o["order"].number}),
        None,
        HTMX,
    ),
    "own saved view delete": (
        "post",
        lambda o: reverse("orders:saved_view_delete", kwargs={"pk": o["saved_view"].pk}),
        None,
    ),
    "invoice list": ("get", lambda o: reverse("invoicing:list"), None),
    "invoice detail": (
        "get",
        lambda o: reverse("invoicing:detail", kwargs={"number": o["invoice"].number}),
        None,
    ),
    "invoice pdf": (
        "get",
        lambda o: reverse("invoicing:pdf", kwargs={"number": o["invoice"].number}),
        None,
    ),
    "invoice move": (
        "post",
        lambda o: reverse("invoicing:move", kwargs={"number": o["invoice"].number}),
        lambda o: {"profile": o["profile"].pk},
    ),
    "invoice post": (
        "post",
        lambda o: reverse("invoicing:post", kwargs={"number": o["invoice"].number}),
        None,
    ),
    "invoice batch post": (
        "post",
        lambda o: reverse("invoicing:post_batch"),
        lambda o: {"up_to": datetime.date.today().isoformat()},
    ),
    "invoice export": ("get", lambda o: reverse("invoicing:export"), None),
    "failed emails": ("get", lambda o: reverse("notifications:failed"), None),
    "failed emails retry all": ("post", lambda o: reverse("notifications:retry_all"), None),
    "failed email retry": (
        "post",
        lambda o: reverse("notifications:retry", kwargs={"pk": o["failed_email"].pk}),
        {"next": "failed"},
    ),
    "email sender update": (
        "post",
        lambda o: reverse("notifications:email_sender_update"),
        {"sender_name": "Corner Shop", "sender_email": "shop@example.com", "reply_to": ""},
    ),
    "shipment record": (
        "post",
        lambda o: reverse("shipping:shipment_record", kwargs={"number": o["paid_order"].number}),
        lambda o: {
            "carrier": o["ups"].pk,
            "tracking_numbers": UPS_OK,
            "shipped_on": datetime.date.today().isoformat(),
            f"qty_{o['paid_order'].lines.get().pk}": 1,
        },
    ),
    "shipment record in row": (
        "post",
        lambda o: reverse(
            "shipping:shipment_record_in_row", kwargs={"number": o["paid_order"].number}
        ),
        lambda o: {"carrier": o["ups"].pk, "tracking_numbers": UPS_OK},
    ),
    "lines sent": (
        "post",
        lambda o: reverse("shipping:lines_sent", kwargs={"number": o["paid_order"].number}),
        lambda o: {"line": o["paid_order"].lines.get().pk},
    ),
    "tracking number edit": (
        "post",
        lambda o: reverse(
            "shipping:tracking_edit",
            kwargs={"number": o["tracking"].shipment.order.number, "tracking_id": o["tracking"].pk},
        ),
        {"number": UPS_OTHER_OK},
    ),
    "own export detail": (
        "get",
        lambda o: reverse("reports:export_detail", kwargs={"pk": o["export"].pk}),
        None,
    ),
    "own export download": (
        "get",
        lambda o: reverse("reports:export_download", kwargs={"pk": o["export"].pk}),
        None,
    ),
    "someone else's export detail": (
        "get",
        lambda o: reverse("reports:export_detail", kwargs={"pk": o["others_export"].pk}),
        None,
    ),
    "someone else's export download": (
        "get",
        lambda o: reverse("reports:export_download", kwargs={"pk": o["others_export"].pk}),
        None,
    ),
    "order list": ("get", lambda o: reverse("orders:list"), None),
    "order detail": ("get", lambda o: o["order"].get_absolute_url(), None),
    "status change": (
        "post",
        lambda o: reverse("orders:status_change", kwargs={"number": o["order"].number}),
        {"to": "cancelled"},
    ),
    "note": (
        "post",
        lambda o: reverse("orders:note_add", kwargs={"number": o["order"].number}),
        {"text": "hello"},
    ),
    "api key list": ("get", lambda o: reverse("orders:apikey_list"), None),
    "api key form": ("get", lambda o: reverse("orders:apikey_create"), None),
    "api key create": (
        "post",
        lambda o: reverse("orders:apikey_create"),
        {"name": "Storefront", "channel": "online"},
    ),
    "api key revoke": (
        "post",
        lambda o: reverse("orders:apikey_revoke", kwargs={"pk": o["key"].pk}),
        None,
    ),
    "order delete": (
        "post",
        lambda o: reverse("orders:delete", kwargs={"number": o["order"].number}),
        None,
    ),
    "charge": (
        "post",
        lambda o: reverse("payments:charge", kwargs={"number": o["chargeable_order"].number}),
        None,
    ),
    "offline payment": (
        "post",
        lambda o: reverse("payments:manual_payment", kwargs={"number": o["order"].number}),
        {"method": "check", "amount": "20.00", "reference": "1001"},
    ),
    "payment update request": (
        "post",
        lambda o: reverse("payments:payment_update_request", kwargs={"number": o["order"].number}),
        None,
    ),
    "gateway list": ("get", lambda o: reverse("payments:gateway_list"), None),
    "gateway form": ("get", lambda o: reverse("payments:gateway_create"), None),
    "gateway create": (
        "post",
        lambda o: reverse("payments:gateway_create"),
        {"kind": "test", "name": "Sandbox", "mode": "test", "test_webhook_secret": "s3cret-123"},
    ),
    "gateway edit form": (
        "get",
        lambda o: reverse("payments:gateway_edit", kwargs={"pk": o["gateway"].pk}),
        None,
    ),
    "gateway edit": (
        "post",
        lambda o: reverse("payments:gateway_edit", kwargs={"pk": o["gateway"].pk}),
        {"name": "Renamed", "mode": "test"},
    ),
    "gateway activate": (
        "post",
        lambda o: reverse("payments:gateway_activate", kwargs={"pk": o["gateway"].pk}),
        None,
    ),
    "gateway deactivate": (
        "post",
        lambda o: reverse("payments:gateway_deactivate", kwargs={"pk": o["gateway"].pk}),
        None,
    ),
    "anonymous profile": ("get", lambda o: reverse("customers:anonymous_profile"), None),
    "anonymous profile set": (
        "post",
        lambda o: reverse("customers:anonymous_profile"),
        lambda o: {"profile": o["profile"].pk},
    ),
    "tracking link revoke": (
        "post",
        lambda o: reverse(
            "shipping:tracking_link_revoke", kwargs={"number": o["tracking"].shipment.order.number}
        ),
        None,
    ),
    "carrier list": ("get", lambda o: reverse("shipping:carrier_list"), None),
    "carrier form": ("get", lambda o: reverse("shipping:carrier_create"), None),
    "carrier create": (
        "post",
        lambda o: reverse("shipping:carrier_create"),
        {"name": "Royal Mail", "is_active": "on"},
    ),
    "carrier edit form": (
        "get",
        lambda o: reverse("shipping:carrier_edit", kwargs={"pk": o["carrier"].pk}),
        None,
    ),
    "carrier edit": (
        "post",
        lambda o: reverse("shipping:carrier_edit", kwargs={"pk": o["carrier"].pk}),
        {"name": "Renamed", "is_active": "on"},
    ),
    "email list": ("get", lambda o: reverse("notifications:email_list"), None),
    "email preview": (
        "get",
        lambda o: reverse("notifications:email_preview", kwargs={"kind": "shipped"}),
        None,
    ),
    "number lookup": ("get", lambda o: reverse("orders:number_suggestions"), None),
    "transactions grid": ("get", lambda o: reverse("orders:grid"), None),
    "grid item choices": ("get", lambda o: reverse("orders:grid_items"), None),
    "grid count": ("get", lambda o: reverse("orders:grid_count"), None),
    "grid action": (
        "post",
        lambda o: reverse("orders:grid_action"),
        lambda o: {"action": "flag_sent", "line": o["paid_order"].lines.get().pk},
    ),
    "saved view save": (
        "post",
        lambda o: reverse("orders:saved_view_save"),
        {"page": "orders", "name": "Paid", "query": "status=paid"},
    ),
    "saved view list": ("get", lambda o: reverse("orders:saved_view_list"), None),
    "export list": ("get", lambda o: reverse("reports:export_list"), None),
    "export start": (
        "post",
        lambda o: reverse("reports:export_start"),
        {"source": "orders", "format": "csv", "query": "status=paid"},
    ),
    "po create": (
        "post",
        lambda o: reverse("purchasing:po_create", kwargs={"number": o["order"].number}),
        {"action": "send"},
    ),
    "po send": (
        "post",
        lambda o: reverse(
            "purchasing:po_send", kwargs={"number": o["order"].number, "pk": o["po"].pk}
        ),
        None,
    ),
    "po cancel": (
        "post",
        lambda o: reverse(
            "purchasing:po_cancel", kwargs={"number": o["order"].number, "pk": o["po"].pk}
        ),
        None,
    ),
    "po ship": (
        "post",
        lambda o: reverse(
            "purchasing:po_ship", kwargs={"number": o["order"].number, "pk": o["po"].pk}
        ),
        {"tracking_numbers": "1Z999AA10123456784"},
    ),
    "purchase orders": ("get", lambda o: reverse("purchasing:list"), None),
    "vendor list": ("get", lambda o: reverse("purchasing:vendor_list"), None),
    "vendor form": ("get", lambda o: reverse("purchasing:vendor_create"), None),
    "vendor create": (
        "post",
        lambda o: reverse("purchasing:vendor_create"),
        {"name": "Acme", "po_method": "email", "po_emails": "po@acme.example", "sftp_port": "22"},
    ),
    "vendor edit form": (
        "get",
        lambda o: reverse("purchasing:vendor_edit", kwargs={"pk": o["po"].vendor_id}),
        None,
    ),
    "vendor edit": (
        "post",
        lambda o: reverse("purchasing:vendor_edit", kwargs={"pk": o["po"].vendor_id}),
        {"name": "Renamed", "po_method": "", "sftp_port": "22"},
    ),
    "vendor test connection": (
        "post",
        lambda o: reverse("purchasing:vendor_test_connection", kwargs={"pk": o["po"].vendor_id}),
        None,
    ),
    "vendor accept key": (
        "post",
        lambda o: reverse("purchasing:vendor_accept_key", kwargs={"pk": o["po"].vendor_id}),
        None,
    ),
    "product page": (
        "get",
        lambda o: reverse("catalog:product_detail", kwargs={"pk": o["product"].pk}),
        None,
    ),
    "django admin": ("get", lambda o: reverse("admin:index"), None),
    # Order entry (seed 003): each user's own drafts.
    "drafts": ("get", lambda o: reverse("entry:drafts"), None),
    "draft start": ("post", lambda o: reverse("entry:start"), None),
    "draft discard": ("post", lambda o: _entry(o, "discard"), None),
    "draft contact": ("get", lambda o: _entry(o, "contact"), None),
    "draft contact suggestions": ("get", lambda o: _entry(o, "contact_suggestions"), None, HTMX),
    "draft contact pick": (
        "post",
        lambda o: _entry(o, "contact_pick"),
        lambda o: {"profile": o["entry_shop"]["profile"].pk},
    ),
    "draft contact create": (
        "post",
        lambda o: _entry(o, "contact_create"),
        {"first_name": "Grace", "last_name": "Hopper"},
    ),
    "draft address add": (
        "post",
        lambda o: _entry(o, "address_add"),
        {"line1": "1 Elm", "city": "Austin", "country": "US"},
    ),
    "draft contact next": ("post", lambda o: _entry(o, "contact_next"), None),
    "draft items": ("get", lambda o: _entry(o, "items"), None),
    "draft item dialog": ("get", lambda o: _entry(o, "item_dialog"), None, HTMX),
    "draft product search": ("get", lambda o: _entry(o, "product_search"), None, HTMX),
    "draft line save": (
        "post",
        lambda o: _entry(o, "line_save"),
        lambda o: {
            "product": o["entry_shop"]["large"].product_id,
            "variant": o["entry_shop"]["large"].pk,
            "quantity": "1",
        },
        HTMX,
    ),
    "draft line remove": (
        "post",
        lambda o: reverse(
            "entry:line_remove",
            kwargs={"pk": o["entry_draft"].pk, "line_id": o["entry_draft"].lines.get().pk},
        ),
        None,
    ),
    "draft promotion add": (
        "post",
        lambda o: _entry(o, "promotion_add"),
        lambda o: {"promotion": o["entry_shop"]["bundle"].pk},
    ),
    "draft promotion remove": (
        "post",
        lambda o: reverse(
            "entry:promotion_remove",
            kwargs={"pk": o["entry_draft"].pk, "promotion_id": o["entry_shop"]["bundle"].pk},
        ),
        None,
    ),
    "draft code add": ("post", lambda o: _entry(o, "code_add"), {"code": "SHIRT10"}),
    "draft code remove": ("post", lambda o: _entry(o, "code_remove"), {"code": "SHIRT10"}),
    "draft items next": ("post", lambda o: _entry(o, "items_next"), None),
    "draft shipping": ("get", lambda o: _entry(o, "shipping"), None),
    "draft shipping save": (
        "post",
        lambda o: _entry(o, "shipping_save"),
        lambda o: {
            "address": o["entry_shop"]["home"].pk,
            f"speed_{o['entry_shop']['home'].pk}": o["entry_shop"]["standard"].pk,
        },
    ),
    "draft review": ("get", lambda o: _entry(o, "review"), None),
    "draft place": ("post", lambda o: _entry(o, "place"), {"payment": "later"}),
    "packing slip": (
        "get",
        lambda o: reverse(
            "shipping:packing_slip", kwargs={"number": o["entered_order"].number, "position": 0}
        ),
        None,
    ),
    # Promotions, tax rates and shipping speeds (Settings).
    "promotion list": ("get", lambda o: reverse("promotions:list"), None),
    "promotion form": ("get", lambda o: reverse("promotions:create", args=["order_code"]), None),
    "promotion create": (
        "post",
        lambda o: reverse("promotions:create", args=["order_code"]),
        {"name": "Ten off", "code": "TENOFF", "discount_type": "percent", "amount": "10"},
    ),
    "promotion edit form": (
        "get",
        lambda o: reverse("promotions:edit", args=[o["promotion"].pk]),
        None,
    ),
    "promotion edit": (
        "post",
        lambda o: reverse("promotions:edit", args=[o["promotion"].pk]),
        {"name": "Renamed", "code": "RENAMED", "discount_type": "fixed", "amount": "5"},
    ),
    "promotion deactivate": (
        "post",
        lambda o: reverse("promotions:deactivate", args=[o["promotion"].pk]),
        None,
    ),
    "promotion uses": (
        "get",
        lambda o: reverse("promotions:uses", args=[o["promotion"].pk]),
        None,
    ),
    "promotion sku search": (
        "get",
        lambda o: reverse("promotions:sku_search"),
        None,
        HTMX,
    ),
    "tax rate list": ("get", lambda o: reverse("promotions:tax_rate_list"), None),
    "tax rate form": ("get", lambda o: reverse("promotions:tax_rate_create"), None),
    "tax rate create": (
        "post",
        lambda o: reverse("promotions:tax_rate_create"),
        {"country": "US", "region": "CA", "rate": "7.25", "name": "CA sales tax"},
    ),
    "tax rate edit form": (
        "get",
        lambda o: reverse("promotions:tax_rate_edit", args=[o["tax_rate"].pk]),
        None,
    ),
    "tax rate edit": (
        "post",
        lambda o: reverse("promotions:tax_rate_edit", args=[o["tax_rate"].pk]),
        {"country": "DE", "region": "", "rate": "19", "name": "MwSt"},
    ),
    "tax rate delete": (
        "post",
        lambda o: reverse("promotions:tax_rate_delete", args=[o["tax_rate"].pk]),
        None,
    ),
    "tax shipping setting": (
        "post",
        lambda o: reverse("promotions:tax_settings"),
        {"tax_shipping": "on"},
    ),
    "shipping speed list": ("get", lambda o: reverse("shipping:shipping_method_list"), None),
    "shipping speed form": ("get", lambda o: reverse("shipping:shipping_method_create"), None),
    "shipping speed create": (
        "post",
        lambda o: reverse("shipping:shipping_method_create"),
        {"name": "Overnight", "price": "19.00", "position": "3", "is_active": "on"},
    ),
    "shipping speed edit form": (
        "get",
        lambda o: reverse("shipping:shipping_method_edit", args=[o["shipping_method"].pk]),
        None,
    ),
    "shipping speed edit": (
        "post",
        lambda o: reverse("shipping:shipping_method_edit", args=[o["shipping_method"].pk]),
        {"name": "Two-day", "price": "9.00", "position": "2", "is_active": "on"},
    ),
    # Reports (issue 14)
    "sales report": ("get", lambda o: reverse("reports:sales"), None),
    "channel report": ("get", lambda o: reverse("reports:channels"), None),
    "product report": ("get", lambda o: reverse("reports:products"), None),
    "stock report": ("get", lambda o: reverse("reports:stock"), None),
}

EXPECTED = {
    #                  anonymous, staff,       admin
    "home": (LOGIN, REDIRECT, REDIRECT),  # to the order list
    "logout": (LOGIN, REDIRECT, REDIRECT),
    # Everyone signed in changes their own password.
    "password change form": (LOGIN, OK, OK),
    "password change done": (LOGIN, OK, OK),
    "new online orders badge": (STOP_POLLING, OK, OK),
    "bulk status": (LOGIN, REDIRECT, REDIRECT),
    "order row": (LOGIN, OK, OK),
    "own saved view delete": (LOGIN, REDIRECT, REDIRECT),
    # Staff see invoices and move drafts between profiles; posting (one or a batch) and the
    # accountant's export are store admins'.
    "invoice list": (LOGIN, OK, OK),
    "invoice detail": (LOGIN, OK, OK),
    "invoice pdf": (LOGIN, OK, OK),
    "invoice move": (LOGIN, REDIRECT, REDIRECT),
    "invoice post": (LOGIN, FORBIDDEN, REDIRECT),
    "invoice batch post": (LOGIN, FORBIDDEN, REDIRECT),
    "invoice export": (LOGIN, FORBIDDEN, OK),
    # Staff see the emails that failed and retry them; who they come from is configuration.
    "failed emails": (LOGIN, OK, OK),
    "failed emails retry all": (LOGIN, REDIRECT, REDIRECT),
    "failed email retry": (LOGIN, REDIRECT, REDIRECT),
    "email sender update": (LOGIN, FORBIDDEN, REDIRECT),
    # Staff ship orders: record shipments (on the order page or in the list's row), flag items
    # sent without a tracking number, correct a tracking number.
    "shipment record": (LOGIN, REDIRECT, REDIRECT),
    "shipment record in row": (LOGIN, REDIRECT, REDIRECT),
    "lines sent": (LOGIN, REDIRECT, REDIRECT),
    "tracking number edit": (LOGIN, REDIRECT, REDIRECT),
    # An export is its maker's file: anyone else, a store admin too, is told it does not exist.
    "own export detail": (LOGIN, OK, OK),
    "own export download": (LOGIN, OK, OK),
    "someone else's export detail": (LOGIN, NOT_FOUND, NOT_FOUND),
    "someone else's export download": (LOGIN, NOT_FOUND, NOT_FOUND),
    "order list": (LOGIN, OK, OK),
    "order detail": (LOGIN, OK, OK),
    "status change": (LOGIN, REDIRECT, REDIRECT),
    "note": (LOGIN, REDIRECT, REDIRECT),
    "api key list": (LOGIN, FORBIDDEN, OK),
    "api key form": (LOGIN, FORBIDDEN, OK),
    "api key create": (LOGIN, FORBIDDEN, OK),  # rendered (not redirected): the key shows once
    "api key revoke": (LOGIN, FORBIDDEN, REDIRECT),
    # Staff work the order's money (seeds 001, 002) and delete never-paid orders.
    "order delete": (LOGIN, REDIRECT, REDIRECT),
    "charge": (LOGIN, REDIRECT, REDIRECT),
    "offline payment": (LOGIN, REDIRECT, REDIRECT),
    "payment update request": (LOGIN, REDIRECT, REDIRECT),
    # Configuring the store is for store admins.
    "gateway list": (LOGIN, FORBIDDEN, OK),
    "gateway form": (LOGIN, FORBIDDEN, OK),
    "gateway create": (LOGIN, FORBIDDEN, REDIRECT),
    "gateway edit form": (LOGIN, FORBIDDEN, OK),
    "gateway edit": (LOGIN, FORBIDDEN, REDIRECT),
    "gateway activate": (LOGIN, FORBIDDEN, REDIRECT),
    "gateway deactivate": (LOGIN, FORBIDDEN, REDIRECT),
    "anonymous profile": (LOGIN, FORBIDDEN, OK),
    "anonymous profile set": (LOGIN, FORBIDDEN, REDIRECT),
    # Staff who ship orders revoke a tracking link that reached the wrong person.
    "tracking link revoke": (LOGIN, REDIRECT, REDIRECT),
    "carrier list": (LOGIN, FORBIDDEN, OK),
    "carrier form": (LOGIN, FORBIDDEN, OK),
    "carrier create": (LOGIN, FORBIDDEN, REDIRECT),
    "carrier edit form": (LOGIN, FORBIDDEN, OK),
    "carrier edit": (LOGIN, FORBIDDEN, REDIRECT),
    "email list": (LOGIN, FORBIDDEN, OK),
    "email preview": (LOGIN, FORBIDDEN, OK),
    "number lookup": (LOGIN, OK, OK),
    "transactions grid": (LOGIN, OK, OK),
    "grid item choices": (LOGIN, OK, OK),
    "grid count": (LOGIN, OK, OK),
    "grid action": (LOGIN, REDIRECT, REDIRECT),  # flag the item as sent, then back to the grid
    # Staff save their filters as tabs and export what their lists show.
    "saved view save": (LOGIN, REDIRECT, REDIRECT),
    "saved view list": (LOGIN, OK, OK),
    "export list": (LOGIN, OK, OK),
    "export start": (LOGIN, OK, OK),  # a small export streams in the response
    # Staff drop-ship (seed 002): the order is unpaid here, so creating, sending and entering
    # a vendor's tracking are refused on the page (200, the reason shown); a draft cancels.
    "po create": (LOGIN, OK, OK),
    "po send": (LOGIN, OK, OK),
    "po cancel": (LOGIN, REDIRECT, REDIRECT),
    "po ship": (LOGIN, OK, OK),
    "purchase orders": (LOGIN, OK, OK),
    # Vendors and their connection settings are store admins'.
    "vendor list": (LOGIN, FORBIDDEN, OK),
    "vendor form": (LOGIN, FORBIDDEN, OK),
    "vendor create": (LOGIN, FORBIDDEN, REDIRECT),
    "vendor edit form": (LOGIN, FORBIDDEN, OK),
    "vendor edit": (LOGIN, FORBIDDEN, REDIRECT),
    "vendor test connection": (LOGIN, FORBIDDEN, REPORTED),
    "vendor accept key": (LOGIN, FORBIDDEN, REPORTED),
    # Staff and admins see a product's variants, stock and vendors.
    "product page": (LOGIN, OK, OK),
    "django admin": (ADMIN_LOGIN, ADMIN_LOGIN, OK),
    # Staff and admins key in orders (seed 003), each working their own drafts.
    "drafts": (LOGIN, OK, OK),
    "draft start": (LOGIN, REDIRECT, REDIRECT),
    "draft discard": (LOGIN, REDIRECT, REDIRECT),
    "draft contact": (LOGIN, OK, OK),
    "draft contact suggestions": (LOGIN, OK, OK),
    "draft contact pick": (LOGIN, REDIRECT, REDIRECT),
    "draft contact create": (LOGIN, REDIRECT, REDIRECT),
    "draft address add": (LOGIN, REDIRECT, REDIRECT),
    "draft contact next": (LOGIN, REDIRECT, REDIRECT),
    "draft items": (LOGIN, OK, OK),
    "draft item dialog": (LOGIN, OK, OK),
    "draft product search": (LOGIN, OK, OK),
    "draft line save": (LOGIN, 204, 204),  # htmx: HX-Redirect back to the items
    "draft line remove": (LOGIN, REDIRECT, REDIRECT),
    "draft promotion add": (LOGIN, REDIRECT, REDIRECT),
    "draft promotion remove": (LOGIN, REDIRECT, REDIRECT),
    "draft code add": (LOGIN, REDIRECT, REDIRECT),
    "draft code remove": (LOGIN, REDIRECT, REDIRECT),
    "draft items next": (LOGIN, REDIRECT, REDIRECT),
    "draft shipping": (LOGIN, OK, OK),
    "draft shipping save": (LOGIN, REDIRECT, REDIRECT),
    "draft review": (LOGIN, OK, OK),
    "draft place": (LOGIN, REDIRECT, REDIRECT),
    # Staff who ship print each address's packing slip.
    "packing slip": (LOGIN, OK, OK),
    # Staff read promotions, their uses and the tax rates; only admins change them, the
    # tax-shipping setting and the shipping speeds.
    "promotion list": (LOGIN, OK, OK),
    "promotion form": (LOGIN, FORBIDDEN, OK),
    "promotion create": (LOGIN, FORBIDDEN, REDIRECT),
    "promotion edit form": (LOGIN, FORBIDDEN, OK),
    "promotion edit": (LOGIN, FORBIDDEN, REDIRECT),
    "promotion deactivate": (LOGIN, FORBIDDEN, REDIRECT),
    "promotion uses": (LOGIN, OK, OK),
    "promotion sku search": (LOGIN, FORBIDDEN, OK),
    "tax rate list": (LOGIN, OK, OK),
    "tax rate form": (LOGIN, FORBIDDEN, OK),
    "tax rate create": (LOGIN, FORBIDDEN, REDIRECT),
    "tax rate edit form": (LOGIN, FORBIDDEN, OK),
    "tax rate edit": (LOGIN, FORBIDDEN, REDIRECT),
    "tax rate delete": (LOGIN, FORBIDDEN, REDIRECT),
    "tax shipping setting": (LOGIN, FORBIDDEN, REDIRECT),
    "shipping speed list": (LOGIN, FORBIDDEN, OK),
    "shipping speed form": (LOGIN, FORBIDDEN, OK),
    "shipping speed create": (LOGIN, FORBIDDEN, REDIRECT),
    "shipping speed edit form": (LOGIN, FORBIDDEN, OK),
    "shipping speed edit": (LOGIN, FORBIDDEN, REDIRECT),
    # Order staff and store admins read the reports (issue 14).
    "sales report": (LOGIN, OK, OK),
    "channel report": (LOGIN, OK, OK),
    "product report": (LOGIN, OK, OK),
    "stock report": (LOGIN, OK, OK),
}
ROLES = ("anonymous", "staff", "admin")
MATRIX = [
    pytest.param(route, role, EXPECTED[route][i], id=f"{route}-{role}")
    for route in ROUTES
    for i, role in enumerate(ROLES)
]


def _shipped_tracking(o):
    order = order_with_lines(lines=1, status=OrderStatus.SHIPPED)
    shipment = Shipment.objects.create(
        order=order, carrier=o["ups"], shipped_on=datetime.date(2024, 5, 1)
    )
    ShipmentLine.objects.create(shipment=shipment, order_line=order.lines.get(), quantity=1)
    tracking_token_for(order)  # the customer's tracking link, as the shipped email has it
    return TrackingNumber.objects.create(shipment=shipment, number=UPS_OK)


def _chargeable_order(o):
    GatewayFactory(kind="test", is_active=True)  # the store's gateway approves the token
    return o["order"]


def _failed_email(o):
    order = o["order"]
    return OutboxMessage.objects.create(
        order=order,
        kind=OutboxMessage.Kind.SHIPPED,
        subject_key="order",
        to_email=order.customer_email,
        message_id="<failed@example.com>",
        next_attempt_at=order.placed_at,
        status=OutboxMessage.Status.FAILED,
        last_error="550 mailbox unavailable",
    )


def _export(o, owner):
    o.request.getfixturevalue("settings").MEDIA_ROOT = o.request.getfixturevalue("tmp_path")
    export = Export.objects.create(
        source="orders",
        format=Export.Format.CSV,
        filename="orders.csv",
        created_by=owner,
        status=Export.Status.DONE,
        rows_total=1,
        rows_done=1,
    )
    export.file.save("orders.csv", ContentFile(b"number\r\n777001\r\n"))
    return export


def _entry_draft(o):
    """A draft of the signed-in user (else a colleague's) at review: 2 small shirts to the
    contact's CA address by Standard (tests/entry/conftest.py's shop)."""
    from entry import services as entry_services

    shop, owner = o["entry_shop"], o.user or UserFactory(role="staff")
    draft = entry_services.draft_create(owner=owner)
    entry_services.draft_contact_set(draft_id=draft.pk, owner=owner, profile_id=shop["profile"].pk)
    line = entry_services.draft_line_add(
        draft_id=draft.pk, owner=owner, variant_id=shop["small"].pk, quantity=2
    )
    entry_services.draft_shipping_set(
        draft_id=draft.pk,
        owner=owner,
        allocations=[entry_services.Allocation(line.pk, shop["home"].pk, 2)],
        speeds={shop["home"].pk: shop["standard"].pk},
    )
    return draft


def _entered_order(o):
    from entry import placing
    from orders.actors import Actor

    draft = o["entry_draft"]
    return placing.draft_place(
        draft_id=draft.pk, owner=draft.owner, payment=placing.Payment(), actor=Actor.system()
    ).order


def _entry(o, name: str) -> str:
    return reverse(f"entry:{name}", kwargs={"pk": o["entry_draft"].pk})


# What the routes need, each made the first time a route asks for it (the matrix runs every
# route for every role: a test makes only its route's objects).
MAKERS = {
    "order": lambda o: order_with_lines(lines=1, number=ORDER_NUMBER, payment_token="tok_approve"),
    "chargeable_order": _chargeable_order,
    "paid_order": lambda o: order_with_lines(lines=1, status=OrderStatus.PAID),
    "key": lambda o: api_key()[0],
    "gateway": lambda o: GatewayFactory(kind="test", is_active=False),
    "profile": lambda o: ProfileFactory(),
    "carrier": lambda o: Carrier.objects.create(name="Corner Couriers", code="corner-couriers"),
    "ups": lambda o: Carrier.objects.get(code="ups"),
    "tracking": _shipped_tracking,
    "invoice": lambda o: paid_invoice(lines=1),
    "failed_email": _failed_email,
    "saved_view": lambda o: SavedView.objects.create(
        owner=o.user or UserFactory(), page="orders", name="Mine", query="status=paid"
    ),
    "export": lambda o: _export(o, o.user or UserFactory()),
    "others_export": lambda o: _export(o, UserFactory(role="staff")),
    "po": lambda o: PurchaseOrder.objects.create(order=o["order"], vendor=VendorFactory()),
    "product": lambda o: ProductVendorFactory(is_default=True).product,
    "entry_shop": lambda o: entry_shop(),
    "entry_draft": _entry_draft,
    "entered_order": _entered_order,
    "promotion": lambda o: PromotionFactory(code="PERMS"),
    "tax_rate": lambda o: TaxRateFactory(country="US", region="NY"),
    "shipping_method": lambda o: ShippingMethod.objects.create(name="Ground", price="5.00"),
}


class Objects(dict):
    """The test's objects by name, made on first use for the signed-in `user` (or None)."""

    def __init__(self, request, user=None):
        super().__init__()
        self.request, self.user = request, user

    def __missing__(self, name):
        self[name] = value = MAKERS[name](self)
        return value


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "role", "expected"), MATRIX)
def test_permission_matrix(client, request, route, role, expected):
    user = None
    if role != "anonymous":
        user = UserFactory(role=role)
        client.force_login(user)
    objects = Objects(request, user)
    method, url, data, *headers = ROUTES[route]
    url = url(objects)
    data = data(objects) if callable(data) else data
    response = getattr(client, method)(url, data or {}, headers=headers[0] if headers else None)

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"
    elif expected == REPORTED:
        assert response.status_code == 302
        assert list(get_messages(response.wsgi_request))
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    else:
        assert response.status_code == expected
    if expected == REDIRECT:  # the action was taken, not refused with a message
        refusals = [m for m in get_messages(response.wsgi_request) if m.level >= ERROR]
        assert not refusals, [str(m) for m in refusals]


@pytest.mark.django_db
def test_forbidden_writes_change_nothing(client):
    order = order_with_lines(lines=1)
    key, _ = api_key()
    client.force_login(UserFactory(role="staff"))
    client.post(reverse("orders:apikey_revoke", kwargs={"pk": key.pk}))
    client.post(reverse("orders:apikey_create"), {"name": "Sneaky", "channel": "online"})
    key.refresh_from_db()
    assert key.revoked_at is None
    assert key._meta.model.objects.count() == 1

    gateway = GatewayFactory(kind="test", name="Sandbox", is_active=False)
    profile = ProfileFactory()
    client.post(reverse("payments:gateway_activate", kwargs={"pk": gateway.pk}))
    client.post(reverse("payments:gateway_edit", kwargs={"pk": gateway.pk}), {"name": "X"})
    client.post(
        reverse("payments:gateway_create"),
        {"kind": "test", "name": "Sneaky", "mode": "test", "test_webhook_secret": "x" * 12},
    )
    client.post(reverse("customers:anonymous_profile"), {"profile": profile.pk})
    gateway.refresh_from_db()
    assert (gateway.name, gateway.is_active) == ("Sandbox", False)
    assert Gateway.objects.count() == 1
    assert not CustomerSettings.objects.filter(anonymous_profile=profile).exists()

    nobody = UserFactory()  # logged in, but with no role at all
    nobody.save()
    client.force_login(nobody)
    assert client.get(reverse("orders:list")).status_code == 403
    assert (
        client.post(
            reverse("orders:status_change", kwargs={"number": order.number}), {"to": "paid"}
        ).status_code
        == 403
    )
    number = order.number
    for name, data in [
        ("payments:charge", None),
        ("payments:manual_payment", {"method": "check", "amount": "20.00", "reference": "1"}),
        ("payments:payment_update_request", None),
        ("orders:delete", None),
    ]:
        assert client.post(reverse(name, kwargs={"number": number}), data or {}).status_code == 403
    order.refresh_from_db()
    assert order.status == "pending"
    assert not Payment.objects.exists()


# The writes that also show their form on a GET; every other POST route answers GET with 405.
FORM_PAGES = {
    "api key create",
    "gateway create",
    "gateway edit",
    "anonymous profile set",
    "carrier create",
    "carrier edit",
    "vendor create",
    "vendor edit",
    "promotion create",
    "promotion edit",
    "tax rate create",
    "tax rate edit",
    "shipping speed create",
    "shipping speed edit",
}
POST_ONLY = [r for r, (method, *_) in ROUTES.items() if method == "post" and r not in FORM_PAGES]


@pytest.mark.django_db
@pytest.mark.parametrize("route", POST_ONLY)
def test_writes_do_not_answer_get(store_admin_client, store_admin, request, route):
    _, url, *_ = ROUTES[route]
    assert store_admin_client.get(url(Objects(request, store_admin))).status_code == 405


# Routes that need no login, and why. "name:*" is a whole namespace; an unnamed route is listed
# by its path pattern.
PUBLIC = {
    "login": "the login page",
    "password_reset": "asking for a reset link: whoever forgot their password is signed out",
    "password_reset_done": "the reset link is sent",
    "password_reset_confirm": "the emailed reset link: its token is the credential",
    "password_reset_complete": "the password is reset: sign in",
    "favicon": "browsers fetch it on their own, signed in or not",
    "health": "the load balancer's liveness probe",
    "health_workers": "the monitor's worker probe",
    "api:*": "the JSON API of the storefront and the register: an API key per channel",
    "^api/": "the API's JSON 404 for any other /api/ path (no login page for a machine)",
    "payments:notify": "the gateway's notifications: checked by their signature",
    "orders:download": "a customer's digital download: a signed, expiring link",
    "shipping:track": "a customer's tracking page: the token in their email's link",
    "shipping:track_lookup": "finding a tracking page by order number and email: rate-limited",
}
# The Django admin checks its own login (a store admin's is_staff): the "django admin" entry.
ADMIN_NAMESPACE = "admin"


def url_patterns(patterns=None, prefix="", namespaces=()):
    """(name or path pattern, view) of every route, included URLconfs and namespaces joined."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from url_patterns(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            name = ":".join((*namespaces, pattern.name)) if pattern.name else route
            yield name, namespaces, pattern.callback


def _public(name: str) -> bool:
    return name in PUBLIC or f"{name.split(':')[0]}:*" in PUBLIC


@pytest.mark.django_db
def test_every_route_is_in_the_matrix_or_public(request):
    objects = Objects(request, UserFactory(role="staff"))
    in_matrix = {resolve(url(objects)).view_name for _, url, *_ in ROUTES.values()}
    assert resolve(reverse("admin:index")).namespace == ADMIN_NAMESPACE
    unlisted, public_in_matrix = [], []
    for name, namespaces, _ in url_patterns():
        if namespaces[:1] == (ADMIN_NAMESPACE,):
            continue
        if _public(name) and name in in_matrix:
            public_in_matrix.append(name)
        elif not _public(name) and name not in in_matrix:
            unlisted.append(name)
    assert not unlisted, f"Routes in no permission matrix entry (add them to ROUTES): {unlisted}"
    assert not public_in_matrix, f"Public routes also in the matrix: {public_in_matrix}"
    every = {name for name, _, _ in url_patterns()}
    assert not {key for key in PUBLIC if not key.endswith(":*")} - every, "stale PUBLIC entries"


def test_only_public_routes_skip_the_login():
    """A view marked login_not_required outside PUBLIC is a hole the matrix may not show (it
    would answer anonymous users itself); the badge is the one that redirects them itself."""
    checks_login_itself = {"orders:new_online"}
    skip_login = {
        name
        for name, namespaces, view in url_patterns()
        if not getattr(view, "login_required", True) and namespaces[:1] != (ADMIN_NAMESPACE,)
    }
    public = {name for name, *_ in url_patterns() if _public(name)}
    assert skip_login - checks_login_itself - public == set(), "login_not_required, not PUBLIC"
    assert public - skip_login == set(), "PUBLIC, yet behind the login"


@pytest.mark.django_db
def test_logout_is_a_post(staff_client):
    response = staff_client.post(reverse("logout"))
    assert response.status_code == 302
    assert staff_client.get(reverse("orders:list")).status_code == 302


@pytest.mark.django_db
def test_login_page_renders_and_logs_in(client):
    user = UserFactory(role="staff", username="clerk")
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "clerk", "password": "pass-word-123"})
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:list")
    assert int(client.session["_auth_user_id"]) == user.pk
