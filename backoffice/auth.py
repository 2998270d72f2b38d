"""Permission checks without two SQL queries on every page.

Django's ModelBackend reads a user's permissions (own + groups) from the database once per
request. Every back-office page checks them, so they are cached here (Redis when configured),
keyed by user and by a version that any change of roles, group permissions or user flags bumps
— so a revoked permission is refused on the very next request, in every process.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

VERSION_KEY = "auth:perms:version"
TTL = 60 * 60


def _version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, None)
        version = cache.get(VERSION_KEY, 1)
    return version


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, None)


def permissions_changed(update_fields=None, **kwargs) -> None:
    """Forget every cached permission set: now, and again once the change commits (a request
    in between could have cached the old set). A login's last_login update changes nothing."""
    if update_fields and set(update_fields) <= {"last_login"}:
        return
    _bump()
    transaction.on_commit(_bump)


class CachedPermissionsBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            key = f"auth:perms:{_version()}:{user_obj.pk}"
            perms = cache.get(key)
            if perms is None:
                perms = super().get_all_permissions(user_obj)
                cache.set(key, perms, TTL)
            user_obj._perm_cache = perms
        return user_obj._perm_cache


def connect_invalidation() -> None:
    user_model = get_user_model()
    for sender in (
        Group.permissions.through,
        user_model.groups.through,
        user_model.user_permissions.through,
    ):
        m2m_changed.connect(permissions_changed, sender=sender, dispatch_uid=f"perms-{sender}")
    for signal in (post_save, post_delete):
        signal.connect(permissions_changed, sender=user_model, dispatch_uid=f"perms-user-{signal}")
        signal.connect(permissions_changed, sender=Group, dispatch_uid=f"perms-group-{signal}")
