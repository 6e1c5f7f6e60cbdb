"""The baseline: a bare Flask page rendering a 200-row Jinja table.

Served by the same gunicorn set-up as Netzwerk (``gunicorn bench.baseline:app``),
so that every figure of the benchmark is a ratio to what the web stack itself
manages on this machine in the same run.
"""

from __future__ import annotations

from flask import Flask, render_template_string

ROWS = [
    {"id": i, "name": f"Person {i}", "organisation": f"Organisation {i % 17}", "role": "Mitglied"}
    for i in range(1, 201)
]

TEMPLATE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Baseline</title></head>
<body><main><h1>Mitglieder</h1>
<table><caption>200 Zeilen</caption>
<thead><tr><th scope="col">Nr.</th><th scope="col">Name</th>
<th scope="col">Organisation</th><th scope="col">Rolle</th></tr></thead>
<tbody>
{% for row in rows %}<tr><td>{{ row.id }}</td><td>{{ row.name }}</td>
<td>{{ row.organisation }}</td><td>{{ row.role }}</td></tr>
{% endfor %}</tbody></table></main></body></html>"""

app = Flask(__name__)


@app.route("/")
def table() -> str:
    return render_template_string(TEMPLATE, rows=ROWS)
