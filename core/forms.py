"""Form pieces every app's forms share."""

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.html import conditional_escape, escape


class _OneQueryChoices(ModelChoiceIterator):
    """Reads the choices with one plain query. Django's iterator reads them through
    `QuerySet.iterator()`, which on Postgres is a server-side cursor: DECLARE, FETCH and CLOSE,
    three round trips for a list of a few carriers (measured on the order page: about 4 ms a
    select at 1,000,000 orders)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class ShortModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField for a short list (carriers, shipping speeds): one query per render."""

    iterator = _OneQueryChoices


# ---- The form renderer ------------------------------------------------------------------------

_WIDGETS = "django/forms/widgets/"
# Django's stock widgets whose template is `{% include "…/input.html" %}` and nothing else.
_INPUTS = frozenset(
    f"{_WIDGETS}{name}.html"
    for name in [
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "search",
        "tel",
        "color",
        "checkbox",
    ]
)
_SELECT_OPTION = f"{_WIDGETS}select_option.html"
_CHOICE_OPTIONS = frozenset({f"{_WIDGETS}radio_option.html", f"{_WIDGETS}checkbox_option.html"})
_MULTIPLE_INPUTS = frozenset({f"{_WIDGETS}radio.html", f"{_WIDGETS}checkbox_select.html"})
_PLAIN = Context()  # autoescaping, default localization: what a widget template renders with


def _shown(value) -> str:
    """`{{ value }}` in a widget template: localized, escaped unless already safe."""
    return render_value_in_context(value, _PLAIN)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {conditional_escape(name)}" + ("" if value is True else f'="{escape(value)}"')
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    """django/forms/widgets/input.html (with its closing newline, as an include renders it)."""
    value = f' value="{escape(widget["value"])}"' if widget["value"] != None else ""  # noqa: E711 (the template's `!= None`)
    return (
        f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"'
        f"{value}{_attrs(widget['attrs'])}>\n"
    )


def _textarea(widget: dict) -> str:
    value = _shown(widget["value"]) if widget["value"] else ""
    return (
        f'<textarea name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'
    )


def _select_option(option: dict) -> str:
    return (
        f'<option value="{escape(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_shown(option['label'])}</option>\n"
    )


def _select(widget: dict) -> str:
    parts = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        parts.extend(f"\n  {_select_option(option)}" for option in options)
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _choice_option(option: dict) -> str:
    """django/forms/widgets/radio_option.html and checkbox_option.html (input_option.html)."""
    if not option["wrap_label"]:
        return f"{_input(option)}\n\n"
    target = option["attrs"].get("id")
    label_for = f' for="{_shown(target)}"' if target else ""
    return f"<label{label_for}>{_input(option)} {_shown(option['label'])}</label>\n\n"


def _multiple_input(widget: dict) -> str:
    """django/forms/widgets/multiple_input.html (radio buttons, checkboxes)."""
    attrs = widget["attrs"]
    parts = ["<div"]
    if attrs.get("id"):
        parts.append(f' id="{_shown(attrs["id"])}"')
    if attrs.get("class"):
        parts.append(f' class="{_shown(attrs["class"])}"')
    parts.append(">")
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{_shown(group)}</label>")
        parts.extend(f"<div>\n    {_choice_option(option)}</div>" for option in options)
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


def _options_are(widget: dict, templates: frozenset) -> bool:
    return all(
        option["template_name"] in templates
        for _group, options, _index in widget["optgroups"]
        for option in options
    )


class FormRenderer(DjangoTemplates):
    """Django's default form renderer, with its stock input, textarea, select, radio and
    checkbox widgets written out in Python: the same HTML to the byte (tests/core/
    test_form_renderer.py compares every case with the templates' output).

    Why: the templates render every <option> and every attribute list through an include, a
    template render each (a carrier select of 8 options is ~20); on the order page with
    purchase orders that was 5-6 ms of its 35. Any other widget, a custom option template,
    or a project override of these templates goes through the templates as before."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is None:
            return super().render(template_name, context, request)
        if template_name in _INPUTS:
            return _input(widget).strip()
        if template_name == f"{_WIDGETS}textarea.html":
            return _textarea(widget)
        if template_name == f"{_WIDGETS}select.html" and _options_are(
            widget, frozenset({_SELECT_OPTION})
        ):
            return _select(widget)
        if template_name in _MULTIPLE_INPUTS and _options_are(widget, _CHOICE_OPTIONS):
            return _multiple_input(widget)
        return super().render(template_name, context, request)
