"""core.forms.FormRenderer writes Django's stock widgets in Python: its HTML must be the
templates' HTML to the byte, for every widget it takes over and whatever the values, labels
and attributes (escaping, True/False attributes, None and empty values, option groups)."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from hypothesis import given, settings
from hypothesis import strategies as st

from core.forms import FormRenderer

STOCK, OURS = DjangoTemplates(), FormRenderer()

INPUTS = [
    forms.TextInput,
    forms.NumberInput,
    forms.EmailInput,
    forms.URLInput,
    forms.PasswordInput,
    forms.HiddenInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.SearchInput,
    forms.TelInput,
    forms.ColorInput,
    forms.CheckboxInput,
]
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
attr_values = st.one_of(text, st.booleans(), st.integers(-5, 5000), st.just(None))
attrs = st.dictionaries(
    st.sampled_from(["class", "data-x", "aria-label", "required", "min"]), attr_values
)
values = st.one_of(text, st.just(None), st.just(""), st.integers(), st.just(Decimal("1234.50")))


def both(widget: forms.Widget, name: str, value, extra=None) -> tuple[str, str]:
    return (
        widget.render(name, value, attrs=extra, renderer=STOCK),
        widget.render(name, value, attrs=extra, renderer=OURS),
    )


@pytest.mark.parametrize("widget_class", INPUTS, ids=lambda c: c.__name__)
@settings(max_examples=40, deadline=None)
@given(name=text, value=values, widget_attrs=attrs, extra=attrs)
def test_inputs(widget_class, name, value, widget_attrs, extra):
    stock, ours = both(widget_class(attrs=widget_attrs), name, value, extra)
    assert ours == stock


choices = st.lists(
    st.one_of(
        st.tuples(text, text),
        st.tuples(text, st.lists(st.tuples(text, text), min_size=1, max_size=3)),
        st.tuples(st.integers(0, 99999), st.integers(0, 99999)),
    ),
    max_size=5,
)


@pytest.mark.parametrize(
    "widget_class",
    [forms.Select, forms.SelectMultiple, forms.RadioSelect, forms.CheckboxSelectMultiple],
    ids=lambda c: c.__name__,
)
@settings(max_examples=60, deadline=None)
@given(
    name=text,
    options=choices,
    value=st.one_of(text, st.lists(text)),
    extra=attrs,
    with_id=st.booleans(),
)
def test_choice_widgets(widget_class, name, options, value, extra, with_id):
    extra = {**extra, "id": "id_x"} if with_id else extra
    stock, ours = both(widget_class(choices=options), name, value, extra)
    assert ours == stock


@pytest.mark.parametrize("value", [None, "", "line one\nline <two> & 'three'", 12])
def test_textarea(value):
    stock, ours = both(forms.Textarea(attrs={"rows": 2, "required": True}), "note", value)
    assert ours == stock


def test_safe_labels_dates_and_lazy_text_render_as_the_templates_do():
    from django.utils.translation import gettext_lazy

    options = [("a", mark_safe("<b>bold</b>")), ("b", gettext_lazy("Cancel")), (1, 2)]
    for widget in (forms.Select(choices=options), forms.RadioSelect(choices=options)):
        assert both(widget, "w", "a")[0] == both(widget, "w", "a")[1]
    for value in (datetime.date(2026, 12, 7), datetime.datetime(2026, 12, 7, 9, 30)):
        assert both(forms.DateInput(), "d", value)[0] == both(forms.DateInput(), "d", value)[1]
        stock, ours = both(forms.DateTimeInput(), "d", value)
        assert ours == stock


def test_a_form_as_a_whole_renders_the_same(settings):
    class Shipment(forms.Form):
        carrier = forms.ChoiceField(choices=[("", "Choose…"), ("ups", "UPS"), ("dhl", "DHL")])
        speed = forms.ChoiceField(
            choices=[("std", "Standard"), ("exp", "Express")], widget=forms.RadioSelect
        )
        tracking = forms.CharField(help_text="One per line", widget=forms.Textarea)
        quantity = forms.IntegerField(min_value=0)
        gift = forms.BooleanField(required=False)

    data = {"carrier": "ups", "speed": "exp", "tracking": "1Z<9>", "quantity": "x"}
    settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
    stock_html = str(Shipment(data))
    settings.FORM_RENDERER = "core.forms.FormRenderer"
    ours_html = str(Shipment(data))
    assert ours_html == stock_html
    assert 'value="ups" selected' in ours_html and "1Z&lt;9&gt;" in ours_html


def test_what_it_does_not_know_goes_through_the_templates():
    widget = forms.SelectDateWidget(years=[2026])
    stock, ours = both(widget, "when", datetime.date(2026, 12, 7))
    assert ours == stock
    clearable = forms.ClearableFileInput()
    assert both(clearable, "file", None)[0] == both(clearable, "file", None)[1]


def test_the_project_renders_forms_with_it():
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), FormRenderer)
