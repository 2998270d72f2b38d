"""The two roles, as groups with permissions. `ensure_roles()` runs after every migrate.

Order staff work orders; store admins also configure the store and may open the Django admin
(only they get `is_staff`). Later issues add their permissions to these lists.
"""

from django.contrib.auth.models import Group, Permission

ORDER_STAFF = "Order staff"
STORE_ADMIN = "Store admin"
ROLES = {"staff": ORDER_STAFF, "admin": STORE_ADMIN}

STAFF_PERMISSIONS = [
    "orders.view_order",
    "orders.change_order_status",
    "orders.add_order_note",
    "orders.delete_order",  # only orders never paid nor sent (spam, tests): services decide
    # Staff save their list filters as tabs, and may share them (their own they may delete).
    "orders.add_savedview",
    "customers.view_profile",
    "customers.add_profile",
    "customers.change_profile",
    "customers.add_address",
    "customers.change_address",
    "catalog.view_product",
    "catalog.view_variant",
    "catalog.view_vendor",
    # Staff charge orders and record offline payments (checks, wires, offline cards): it is
    # their daily work in seeds 001 and 002. Configuring gateways is for store admins.
    "payments.view_payment",
    "payments.charge_order",
    "payments.record_manual_payment",
    "payments.view_paymentattempt",
    # Staff see invoices and move drafts between profiles (seed 000); posting freezes them
    # for the books, an accounting act, so it and the accountant's export are admins'.
    "invoicing.view_invoice",
    "invoicing.change_invoice",
    "invoicing.view_paymentrecord",
    "shipping.view_carrier",
    "shipping.view_shippingmethod",
    # Staff ship orders (seeds 000, 001, 004): record shipments, correct tracking numbers,
    # revoke a customer's tracking link that reached the wrong person.
    "shipping.add_shipment",
    "shipping.view_shipment",
    "shipping.change_trackingnumber",
    "shipping.change_ordertracking",
    # Staff drop-ship (seed 002): create, send and cancel POs, enter vendors' tracking.
    "purchasing.view_purchaseorder",
    "purchasing.add_purchaseorder",
    "purchasing.change_purchaseorder",
    # Staff see the order's emails and retry a failed one.
    "notifications.view_outboxmessage",
    "notifications.change_outboxmessage",
    # Staff export what their lists show (CSV, XLSX); each sees only their own exports.
    "reports.add_export",
    "reports.view_export",
    # Staff key in orders taken by phone (seed 003): their own drafts, placed as orders.
    "entry.view_draft",
    "entry.add_draft",
    "entry.change_draft",
    "entry.delete_draft",
    # Staff taking orders by phone read the promotions, their uses and the tax rates.
    "promotions.view_promotion",
    "promotions.view_codeuse",
    "promotions.view_taxrate",
    # The sales, channel, product and stock reports (issue 14): seed 004's store owner reads
    # them every morning, and so do the staff who run the orders.
    "reports.view_reports",
]
ADMIN_PERMISSIONS = [
    *STAFF_PERMISSIONS,
    "invoicing.post_invoice",
    "invoicing.export_invoices",
    "orders.view_apikey",
    # Admins tidy the shared tabs everyone sees.
    "orders.delete_savedview",
    "payments.view_gateway",
    "payments.add_gateway",
    "payments.change_gateway",
    "payments.view_gatewaynotification",
    "payments.view_paymentsettings",
    "payments.change_paymentsettings",
    "orders.add_apikey",
    "orders.change_apikey",
    "customers.view_customersettings",
    "customers.change_customersettings",
    "catalog.add_product",
    "catalog.change_product",
    "catalog.add_variant",
    "catalog.change_variant",
    "catalog.add_vendor",
    "catalog.change_vendor",
    "catalog.add_productvendor",
    "catalog.change_productvendor",
    "catalog.view_productvendor",
    "catalog.view_stockmovement",
    "catalog.view_catalogsettings",
    "catalog.change_catalogsettings",
    "catalog.add_serialcode",
    "catalog.view_serialcode",
    # Only a code no email ever carried (retired by a rollback) may go back to the pool.
    "catalog.return_serialcode",
    "catalog.add_digitalfile",
    "catalog.view_digitalfile",
    "shipping.add_carrier",
    "shipping.change_carrier",
    "shipping.add_shippingmethod",
    "shipping.change_shippingmethod",
    "shipping.view_shippingsettings",
    "shipping.change_shippingsettings",
    # Drop-shipping's automation setting (vendors are catalog.*_vendor above).
    "purchasing.view_purchasingsettings",
    "purchasing.change_purchasingsettings",
    "notifications.preview_emails",
    "notifications.view_emailsettings",
    "notifications.change_emailsettings",
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    # Promotions, codes and tax rates (Settings → Promotions, Tax rates).
    "promotions.add_promotion",
    "promotions.change_promotion",
    "promotions.add_taxrate",
    "promotions.change_taxrate",
    "promotions.delete_taxrate",
    "promotions.view_taxsettings",
    "promotions.change_taxsettings",
]
ROLE_PERMISSIONS = {ORDER_STAFF: STAFF_PERMISSIONS, STORE_ADMIN: ADMIN_PERMISSIONS}


def _permissions(names: list[str]) -> list[Permission]:
    wanted = {tuple(name.split(".", 1)) for name in names}
    perms = Permission.objects.filter(
        content_type__app_label__in={a for a, _ in wanted}, codename__in={c for _, c in wanted}
    ).select_related("content_type")
    found = [p for p in perms if (p.content_type.app_label, p.codename) in wanted]
    missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
    if missing:
        raise LookupError(f"Unknown permissions for roles: {sorted(missing)}")
    return found


def ensure_roles() -> dict[str, Group]:
    """Create or update the role groups so they hold exactly their permissions."""
    groups = {}
    for name, perm_names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(_permissions(perm_names))
        groups[name] = group
    return groups


def is_store_admin(user) -> bool:
    return user.is_active and (user.is_superuser or user.groups.filter(name=STORE_ADMIN).exists())


def role_of(user) -> str:
    """The user's role key ("staff" or "admin"), or "" without one."""
    names = set(user.groups.values_list("name", flat=True)) if user.pk else set()
    return next((key for key, name in ROLES.items() if name in names), "")


def user_set_role(user, role: str) -> None:
    """Give a saved user exactly one role: its group and nothing else, and `is_staff` (the
    Django admin's door) only for store admins. Never touches `is_superuser`."""
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    group = Group.objects.get(name=ROLES[role])
    if user.is_staff != (role == "admin"):
        user.is_staff = role == "admin"
        user.save(update_fields=["is_staff"])
    user.groups.set([group])
    user.user_permissions.clear()


def user_create_with_role(*, username: str, password: str, role: str, email: str = ""):
    """Create (or update) a back-office user with exactly one role: "staff" or "admin".

    Store admins get `is_staff` so they can open the Django admin; order staff do not.
    """
    from django.contrib.auth import get_user_model
    from django.db import transaction

    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    ensure_roles()
    with transaction.atomic():
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.email = email or user.email
        user.is_active = True
        user.set_password(password)
        user.save()
        user_set_role(user, role)
    return user
