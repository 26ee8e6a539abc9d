"""The desk forms' renderer: Django's widget templates for the common widgets, written in
Python.

Each field of a desk form is a template render of its own (a <select> is one more per
option, an empty error list one more per field): the queue page's nine filters and bulk
controls and the ticket page's two forms were an eighth of their time. The markup is Django's
templates' (django/forms/templates/django/forms/widgets/*.html), character for character,
from the same context (the widget's get_context, so ids, required, selected and aria
attributes come from Django as before); values are escaped as the templates escape them.
A template this module does not know, or a context it does not expect (option groups, an
initial file, a list of errors), is rendered by Django's templates as before.
tests/desk/test_form_renderer.py compares both on every desk form's fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.html import conditional_escape as esc
from django.utils.html import escape
from django.utils.safestring import SafeData

_WIDGETS = "django/forms/widgets/"


def _formatted(value: object) -> str:
    """`{{ value|stringformat:'s' }}`: a safe value stays as it is, any other is escaped."""
    text = "%s" % (str(value) if isinstance(value, tuple) else value)
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: Mapping[str, object]) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {esc(name)}" if value is True else f' {esc(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: Mapping) -> str:
    """django/forms/widgets/input.html (text, hidden, number, checkbox... all include it)."""
    value = widget["value"]
    shown = "" if value is None else f' value="{_formatted(value)}"'
    return (
        f'<input type="{esc(widget["type"])}" name="{esc(widget["name"])}"{shown}'
        f"{_attrs(widget['attrs'])}>"
    )


def _option_input(widget: Mapping) -> str | None:
    """django/forms/widgets/input_option.html (a radio or checkbox of a choice)."""
    if not widget.get("wrap_label"):
        return _input(widget)
    if not isinstance(widget["label"], str | Promise):
        return None
    id_ = widget["attrs"].get("id")
    label_for = f' for="{esc(id_)}"' if id_ else ""
    # input.html, included, brings its last newline
    return f"<label{label_for}>{_input(widget)}\n {esc(widget['label'])}</label>"


def _textarea(widget: Mapping) -> str:
    """django/forms/widgets/textarea.html."""
    value = esc(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{esc(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _select(widget: Mapping) -> str | None:
    """django/forms/widgets/select.html and select_option.html, without option groups."""
    options = []
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            return None
        for option in group_choices:
            if option["template_name"] != _WIDGETS + "select_option.html":
                return None
            if not isinstance(option["label"], str | Promise):
                return None  # numbers and dates: the template localizes them
            options.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{esc(option['label'])}</option>\n"  # the included template's last newline
            )
    start = f'<select name="{esc(widget["name"])}"{_attrs(widget["attrs"])}>'
    return f"{start}{''.join(options)}\n</select>"


def _file_input(widget: Mapping) -> str | None:
    """django/forms/widgets/clearable_file_input.html for a field holding no file yet."""
    if widget.get("is_initial"):
        return None
    return _input({**widget, "value": None})  # its template writes no value


# The input widgets' templates: each is input.html (or includes it alone).
_INPUTS = (
    "input", "text", "hidden", "number", "email", "url", "password", "search", "tel",
    "color", "checkbox", "file", "date", "datetime", "time",
)  # fmt: skip
_FAST: dict[str, Callable[[Mapping], str | None]] = {
    **{f"{_WIDGETS}{name}.html": _input for name in _INPUTS},
    _WIDGETS + "radio_option.html": _option_input,
    _WIDGETS + "checkbox_option.html": _option_input,
    _WIDGETS + "input_option.html": _option_input,
    _WIDGETS + "textarea.html": _textarea,
    _WIDGETS + "select.html": _select,
    _WIDGETS + "clearable_file_input.html": _file_input,
}
_ERROR_LISTS = ("django/forms/errors/list/default.html", "django/forms/errors/list/ul.html")


class DeskFormRenderer(DjangoTemplates):
    """Django's default renderer, with the widgets above (and empty error lists) in Python."""

    def render(self, template_name: str, context: Mapping, request=None) -> str:
        if template_name in _ERROR_LISTS and not context.get("errors"):
            return ""  # `{% if errors %}...{% endif %}`, stripped
        fast = _FAST.get(template_name)
        if fast is not None and "widget" in context:
            html = fast(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request)


# One for every desk form (Form.default_renderer): Django's template engine, built on the
# first fallback, is kept by the instance.
RENDERER = DeskFormRenderer()
