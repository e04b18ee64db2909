"""Daily gold build of the LMS clickstream lakehouse.

Runs every gold job for the DAG run's day (``ds``, a UTC date) in dependency order, through the
project's one CLI, then registers any new table in Trino:

    sessions -> daily_metrics, hourly_metrics, chapter_engagement, funnels, student_features
             -> anomalies -> data_quality -> late_rebuild -> maintenance -> register_tables

maintenance compacts the day's small files (OPTIMIZE) and vacuums files older than the retention.

data_quality fails the run (and alerts through Airflow) when a hard check fails.

Each job replaces exactly its day, so retries, re-runs and ``catchup`` backfills are safe. The day
is rebuilt a second time two days later (``late_rebuild``) so late events are included.

Configuration (Airflow Variables or the worker's environment):
    CLICKSTREAM_HOME      checkout or install directory holding bin/clickstream
    CLICKSTREAM_LAKE_ROOT lake root (a path or s3a://bucket/prefix); jobs read it from the environment
On a Spark cluster, point the CLI's jobs at it with the jobs configuration (spark.master) or
replace the BashOperators with SparkSubmitOperator running io.clickstream.jobs.gold.GoldCli.
"""
import os
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

CLI = os.path.join(os.environ.get("CLICKSTREAM_HOME", "/opt/clickstream"), "bin", "clickstream")

default_args = {
    "owner": "data-engineering",
    "retries": 2,
    "retry_delay": timedelta(minutes=10),
    "retry_exponential_backoff": True,
    "sla": timedelta(hours=3),
    "depends_on_past": False,
}

with DAG(
    dag_id="clickstream_gold_daily",
    description="Gold sessions, daily metrics and funnels for one UTC day",
    schedule="@daily",
    start_date=datetime(2026, 11, 1),
    catchup=True,
    max_active_runs=2,
    default_args=default_args,
    tags=["clickstream", "gold"],
) as dag:
    sessions = BashOperator(
        task_id="sessions",
        bash_command=CLI + " job sessions --date {{ ds }}",
    )
    daily_metrics = BashOperator(
        task_id="daily_metrics",
        bash_command=CLI + " job daily-metrics --date {{ ds }}",
    )
    hourly_metrics = BashOperator(
        task_id="hourly_metrics",
        bash_command=CLI + " job hourly-metrics --date {{ ds }}",
    )
    chapter_engagement = BashOperator(
        task_id="chapter_engagement",
        bash_command=CLI + " job chapter-engagement --date {{ ds }}",
    )
    funnels = BashOperator(
        task_id="funnels",
        bash_command=CLI + " job funnels --date {{ ds }}",
    )
    student_features = BashOperator(
        task_id="student_features",
        bash_command=CLI + " job student-features --date {{ ds }}",
    )
    anomalies = BashOperator(
        task_id="anomalies",
        bash_command=CLI + " job anomalies --date {{ ds }}",
    )
    data_quality = BashOperator(
        task_id="data_quality",
        bash_command=CLI + " job data-quality --date {{ ds }}",
    )
    late_rebuild = BashOperator(
        task_id="late_rebuild",
        bash_command=CLI + " job gold --date {{ macros.ds_add(ds, -2) }} --to {{ macros.ds_add(ds, -2) }}",
    )
    maintenance = BashOperator(
        task_id="maintenance",
        bash_command=CLI + " job maintenance --date {{ ds }}",
    )
    register_tables = BashOperator(
        task_id="register_tables",
        bash_command=CLI + " ddl apply",
    )

    sessions >> [daily_metrics, hourly_metrics, chapter_engagement, funnels, student_features]
    [daily_metrics, hourly_metrics, chapter_engagement, funnels, student_features] >> anomalies
    anomalies >> data_quality >> late_rebuild >> maintenance >> register_tables
