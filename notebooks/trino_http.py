"""Query Trino from a notebook over Trino's HTTP protocol, into pandas.

The `trino` Python client is the usual way; it is not installable on machines without PyPI, so
this is the smallest honest client: POST the statement to /v1/statement, follow `nextUri` until
the query is finished, collect `columns` and `data`, raise with Trino's message when the query
fails. Standard library plus pandas only.

Configuration from the environment: TRINO_SERVER (default http://localhost:8081), TRINO_USER
(default "notebook"), TRINO_CATALOG (default "delta"), TRINO_SCHEMA (default "gold").
"""
import json
import os
import time
import urllib.request

import pandas as pd


def query(sql, server=None, user=None, catalog=None, schema=None, timeout=60):
    """Runs one SQL statement and returns its rows as a pandas DataFrame (column names and order as Trino gives them)."""
    server = (server or os.environ.get("TRINO_SERVER", "http://localhost:8081")).rstrip("/")
    headers = {
        "X-Trino-User": user or os.environ.get("TRINO_USER", "notebook"),
        "X-Trino-Catalog": catalog or os.environ.get("TRINO_CATALOG", "delta"),
        "X-Trino-Schema": schema or os.environ.get("TRINO_SCHEMA", "gold"),
    }
    response = _call(urllib.request.Request(server + "/v1/statement", data=sql.encode("utf-8"), headers=headers, method="POST"), timeout)
    columns, rows = None, []
    while True:
        if "error" in response:
            error = response["error"]
            raise RuntimeError("Trino: %s (%s)" % (error.get("message"), error.get("errorName")))
        columns = columns or response.get("columns")
        rows.extend(response.get("data", []))
        next_uri = response.get("nextUri")
        if not next_uri:
            break
        if not response.get("data"):
            time.sleep(0.05)            # the query is queued or running: poll gently
        response = _call(urllib.request.Request(next_uri, headers=headers), timeout)
    names = [column["name"] for column in columns or []]
    frame = pd.DataFrame(rows, columns=names)
    for column in columns or []:
        kind = column["type"]
        if kind in ("bigint", "integer", "smallint", "tinyint", "double", "real") or kind.startswith("decimal"):
            frame[column["name"]] = pd.to_numeric(frame[column["name"]])
        elif kind == "date" or kind.startswith("timestamp"):
            frame[column["name"]] = pd.to_datetime(frame[column["name"]])
    return frame


def _call(request, timeout):
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read().decode("utf-8"))
