#!/bin/bash
# One-shot Superset setup for docker-compose: metadata database, admin user, roles, and this
# project's Trino connection, datasets, charts and dashboards. Safe to run again.
set -euo pipefail
superset db upgrade
superset fab create-admin --username "$SUPERSET_ADMIN_USER" --password "$SUPERSET_ADMIN_PASSWORD" \
  --firstname Clickstream --lastname Admin --email "$SUPERSET_ADMIN_USER@localhost" || true
superset init
superset import-dashboards --path /opt/clickstream/superset-bundle.zip --username "$SUPERSET_ADMIN_USER"
