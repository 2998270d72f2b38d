"""Issue 11 item 4: the order list and the transactions grid as django-tables2 Tables
(orders/tables.py, orders/grid/tables.py) measured against today's templates. Run with a
seeded database: DEBUG=0 BACKOFFICE_TESTING=1 DATABASE_URL=... python devtools/table_ab/ab.py 200

Interleaved A/B: today's template vs the django-tables2 Table, same process, same DB state.

A request goes through the Django test client (the whole stack, DB included); the views'
`render` is wrapped so that in mode "table" it builds the Table from the same context and
renders the page with {% render_table %} instead of the hand-written <table>. The render
call alone is timed too (page template render, plus building the Table in mode B).
"""

import os
import re
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402

settings.TEMPLATES[0]["DIRS"] = [*settings.TEMPLATES[0]["DIRS"], os.path.join(HERE, "templates")]

from django import shortcuts  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402

import orders.grid.views as grid_views  # noqa: E402
import orders.views as list_views  # noqa: E402
from orders.grid.tables import LineTable  # noqa: E402
from orders.tables import OrderTable  # noqa: E402

MODE = {"v": "template"}
RENDER_MS: list[float] = []
_render = shortcuts.render


def _list_render(request, template, context):
    t0 = time.process_time()
    if MODE["v"] == "table" and template == "orders/order_list.html":
        context = dict(context)
        context["table"] = OrderTable(
            context["page"].orders,
            request=request,
            page=context["page"],
            can_change_status=context["can_change_status"],
            next_url=context["next_url"],
        )
        template = "orders/order_list_table.html"
    response = _render(request, template, context)
    RENDER_MS.append((time.process_time() - t0) * 1000)
    return response


def _grid_render(request, template, context):
    t0 = time.process_time()
    if MODE["v"] == "table" and template == "orders/grid.html":
        context = dict(context)
        context["table"] = LineTable(
            context["page"].rows,
            request=request,
            page=context["page"],
            can_select=bool(context["actions"]),
        )
        template = "orders/grid_table.html"
    response = _render(request, template, context)
    RENDER_MS.append((time.process_time() - t0) * 1000)
    return response


list_views.render = _list_render
grid_views.render = _grid_render


def table_part(html: str, cls: str) -> str:
    start = html.index(f'<table class="grid {cls}"')
    part = html[start : html.index("</table>", start)]
    # Whitespace next to tags and the order of class names mean nothing to a browser.
    part = re.sub(r">\s+", ">", part)
    part = re.sub(r"\s+<", "<", part)
    part = re.sub(r"\s+", " ", part)
    part = re.sub(r'class="([^"]*)"', lambda m: 'class="{}"'.format(" ".join(sorted(m[1].split()))), part)
    part = part.replace('data-grid=""', "data-grid")  # the same boolean attribute
    # What django-tables2 cannot help doing, noted in the report: every <tr> gets an "even" or
    # "odd" class, an attribute whose value is "" is left out, a <td> without attributes is "<td >".
    part = re.sub(
        r'<tr ([^>]*)class="([^"]*)"',
        lambda m: (
            '<tr {}class="{}"'.format(m[1], " ".join(c for c in m[2].split() if c not in ("even", "odd")))
        ),
        part,
    )
    part = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', part)
    part = part.replace(' class=""', "").replace("<td >", "<td>")
    part = re.sub(r' data-link-[a-z_]+=""', "", part)
    return part.replace("<tbody >", "<tbody>").replace("<thead >", "<thead>")


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def run(client, url, cls, n):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    MODE["v"] = "template"
    with CaptureQueriesContext(connection) as qa:
        a = client.get(url).content.decode()
    MODE["v"] = "table"
    with CaptureQueriesContext(connection) as qb:
        b = client.get(url).content.decode()
    print(f"  queries: template {len(qa)}, Table {len(qb)}")
    ta, tb = table_part(a, cls), table_part(b, cls)
    rows = ta.count("<tr ") - 0
    same = ta == tb
    if not same:
        # the first difference, for the report
        i = next((i for i, (x, y) in enumerate(zip(ta, tb, strict=False)) if x != y), min(len(ta), len(tb)))
        print(
            "  DIFF at",
            i,
            "\n   A:",
            ta[max(0, i - 100) : i + 200],
            "\n   B:",
            tb[max(0, i - 100) : i + 200],
        )
    times = {"template": [], "table": []}
    renders = {"template": [], "table": []}
    for i in range(n * 2):
        mode = ("template", "table")[(i + (i // 2)) % 2]  # ABBA order
        MODE["v"] = mode
        RENDER_MS.clear()
        t0 = time.perf_counter()
        response = client.get(url)
        times[mode].append((time.perf_counter() - t0) * 1000)
        renders[mode].append(RENDER_MS[-1])
        assert response.status_code == 200
    print(f"{url}  rows(tr)={rows}  identical table markup: {same}")
    for label, data in (("request", times), ("render cpu", renders)):
        a, b = data["template"], data["table"]
        ma, mb = statistics.median(a), statistics.median(b)
        print(
            f"  {label:10} template median {ma:6.2f} p95 {pct(a, 0.95):6.2f} | "
            f"Table median {mb:6.2f} p95 {pct(b, 0.95):6.2f} | diff median {mb - ma:+6.2f} ms"
        )


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    user = get_user_model().objects.filter(is_superuser=True).first()
    if user is None:
        user = get_user_model().objects.create_superuser(
            "ab-bench", "ab@example.com", "x-Long-pass-123"
        )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    for url, cls in (
        ("/orders/", "orders-grid"),
        ("/orders/items/?per_page=50", "items-grid"),
        ("/orders/items/?per_page=200", "items-grid"),
    ):
        run(client, url, cls, n)
