"""The ground's models: none with tables, one abstract base the apps' settings share."""

from django.db import models


class StoreSettings(models.Model):
    """A settings singleton of one app (pk=1), created on first read."""

    class Meta:
        abstract = True

    @classmethod
    def load(cls):
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj
