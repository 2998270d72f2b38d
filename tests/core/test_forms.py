"""core.forms: a short list's choices come from one plain query, not a server-side cursor."""

import pytest
from django import forms

from core.forms import ShortModelChoiceField
from shipping.models import Carrier

pytestmark = pytest.mark.django_db


class CarrierForm(forms.Form):
    carrier = ShortModelChoiceField(
        queryset=Carrier.objects.filter(is_active=True).order_by("name"), empty_label="Choose…"
    )


def test_the_choices_are_read_with_one_query_and_no_cursor(django_assert_num_queries):
    Carrier.objects.create(name="Aardvark Post", code="aardvark", is_active=True)
    Carrier.objects.create(name="Gone Couriers", code="gone", is_active=False)
    names = list(
        Carrier.objects.filter(is_active=True).order_by("name").values_list("name", flat=True)
    )

    with django_assert_num_queries(1) as captured:
        html = str(CarrierForm()["carrier"])

    assert "DECLARE" not in captured.captured_queries[0]["sql"]
    assert '<option value="" selected>Choose…</option>' in html
    assert all(name in html for name in names) and "Gone Couriers" not in html


def test_a_choice_still_validates_against_the_queryset():
    active = Carrier.objects.create(name="Aardvark Post", code="aardvark", is_active=True)
    gone = Carrier.objects.create(name="Gone Couriers", code="gone", is_active=False)

    assert CarrierForm({"carrier": active.pk}).is_valid()
    refused = CarrierForm({"carrier": gone.pk})
    assert not refused.is_valid() and "carrier" in refused.errors
