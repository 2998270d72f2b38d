from django.db import transaction

from .models import Address, CustomerSettings, Profile


class CustomerError(Exception):
    """A customer rule was broken; the message is fit to show a user."""


@transaction.atomic
def profile_create(
    *,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    company: str = "",
    member_ref: str | None = None,
) -> Profile:
    """Create a contact. A member_ref (storefront account) belongs to one profile only."""
    if not (first_name or last_name or email or company):
        raise CustomerError("A contact needs a name, a company or an email address.")
    return Profile.objects.create(
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        company=company,
        member_ref=member_ref or None,
    )


@transaction.atomic
def member_profile_upsert(*, member_ref: str, **fields) -> Profile:
    """The profile of a storefront member, created on first sight and kept up to date.

    Concurrent first orders of the same member end in one profile (unique member_ref,
    INSERT ... ON CONFLICT through get_or_create's retry on IntegrityError).
    """
    profile, created = Profile.objects.select_for_update().get_or_create(
        member_ref=member_ref, defaults=fields
    )
    if not created:
        changed = [k for k, v in fields.items() if v and getattr(profile, k) != v]
        for key in changed:
            setattr(profile, key, fields[key])
        if changed:
            profile.save(update_fields=changed)
    return profile


@transaction.atomic
def address_add(
    *, profile: Profile, default_shipping: bool = False, default_billing: bool = False, **fields
) -> Address:
    """Add an address; making it a default takes the flag from the profile's previous default."""
    if default_shipping:
        profile.addresses.filter(is_default_shipping=True).update(is_default_shipping=False)
    if default_billing:
        profile.addresses.filter(is_default_billing=True).update(is_default_billing=False)
    return Address.objects.create(
        profile=profile,
        is_default_shipping=default_shipping,
        is_default_billing=default_billing,
        **fields,
    )


@transaction.atomic
def anonymous_profile_set(*, profile: Profile) -> CustomerSettings:
    settings_row = CustomerSettings.objects.select_for_update().get_or_create(pk=1)[0]
    settings_row.anonymous_profile = profile
    settings_row.save(update_fields=["anonymous_profile"])
    return settings_row
