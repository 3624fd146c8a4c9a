#!/usr/bin/env bash
# Refreshes the front-end files Tenantry serves itself (never from a CDN), from the npm registry.
# Versions are pinned here; bump them deliberately.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts htmx.org@2.0.11 swagger-ui-dist@5.35.0 axe-core@4.14.1 >/dev/null
dest="$here/crates/web/assets/vendor"
cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE "$dest/htmx/"
cp node_modules/swagger-ui-dist/{swagger-ui-bundle.js,swagger-ui.css,LICENSE,NOTICE} "$dest/swagger-ui/"
# axe-core is used by the browser tests only (the accessibility check of every page they visit).
tests="$here/crates/tenantry/tests/vendor/axe-core"
mkdir -p "$tests"
cp node_modules/axe-core/{axe.min.js,LICENSE} "$tests/"
echo "vendored htmx 2.0.11 and swagger-ui-dist 5.35.0 into $dest, axe-core 4.14.1 into $tests"
