"""Hourly gold build: activity per UTC hour for live-ish dashboards and the anomaly baseline.

Every hour compacts the current UTC day of silver (``compact-silver``: the stream writes about one
file per event name every second; OPTIMIZE runs beside it) and then rebuilds the day's 24 hourly
rows (``hourly-metrics`` replaces its day and is cheap), so the hour that just ended is in gold
minutes after it ends. The daily DAG rebuilds the day once more with everything else.

Configuration as in clickstream_gold_daily.py (CLICKSTREAM_HOME, CLICKSTREAM_LAKE_ROOT, ...).
"""
import os
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

CLI = os.path.join(os.environ.get("CLICKSTREAM_HOME", "/opt/clickstream"), "bin", "clickstream")

default_args = {
    "owner": "data-engineering",
    "retries": 3,
    "retry_delay": timedelta(minutes=2),
    "sla": timedelta(minutes=30),
    "depends_on_past": False,
}

with DAG(
    dag_id="clickstream_gold_hourly",
    description="Gold hourly metrics for the current UTC day",
    schedule="@hourly",
    start_date=datetime(2026, 11, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["clickstream", "gold"],
) as dag:
    compact_silver = BashOperator(
        task_id="compact_silver",
        bash_command=CLI + " job compact-silver --date {{ ds }}",
    )
    hourly_metrics = BashOperator(
        task_id="hourly_metrics",
        bash_command=CLI + " job hourly-metrics --date {{ ds }}",
    )

    compact_silver >> hourly_metrics
