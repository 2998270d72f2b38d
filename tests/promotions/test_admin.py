import pytest
from django.urls import reverse

from .factories import PromotionItemFactory, TaxRateFactory

pytestmark = pytest.mark.django_db


def test_store_admin_opens_the_promotions_fallback_pages(store_admin_client):
    promotion = PromotionItemFactory().promotion
    rate = TaxRateFactory()
    for url in [
        reverse("admin:promotions_promotion_changelist"),
        reverse("admin:promotions_promotion_change", args=[promotion.pk]),
        reverse("admin:promotions_codeuse_changelist"),
        reverse("admin:promotions_taxrate_change", args=[rate.pk]),
    ]:
        assert store_admin_client.get(url).status_code == 200, url
