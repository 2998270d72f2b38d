"""Reads of customer profiles."""

from django.db.models import Q

from .models import Profile

SEARCH_RESULTS = 20


def profile_search(
    *, q: str, exclude_id: int | None = None, limit: int = SEARCH_RESULTS
) -> list[Profile]:
    """Contacts whose email, last name, first name or company starts with `q` (any case);
    "Ada Lov" matches first and last name. Every branch is a prefix match on an UPPER()
    expression with text_pattern_ops (see Profile.Meta.indexes), so it is an index range scan
    however many profiles there are. At most `limit`, by name."""
    q = " ".join(q.split())
    if len(q) < 2:
        return []
    words = q.split(" ")
    if "@" in q:
        match = Q(email__istartswith=q)
    elif len(words) >= 2:
        first, last = words[0], " ".join(words[1:])
        match = Q(first_name__istartswith=first, last_name__istartswith=last) | Q(
            last_name__istartswith=first, first_name__istartswith=last
        )
    else:
        match = (
            Q(last_name__istartswith=q)
            | Q(first_name__istartswith=q)
            | Q(email__istartswith=q)
            | Q(company__istartswith=q)
        )
    queryset = Profile.objects.filter(match)
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return list(queryset.order_by("last_name", "first_name", "id")[:limit])
