"""The frame's own models: none with tables, one abstract base the apps' settings share.

(This module also lets post_migrate reach BackofficeConfig, which builds the roles.)"""

from django.db import models


class StoreSettings(models.Model):
    """A settings singleton of one app (pk=1), created on first read."""

    class Meta:
        abstract = True

    @classmethod
    def load(cls):
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj
