#!/usr/bin/env bash
# Copy the browser libraries installed by `npm ci` into static/vendor/.
#
# Run from the repository root after `npm ci --no-audit --no-fund`:
#     deploy/vendor-assets.sh
# Idempotent: it only (re)writes files whose content changed, so re-running is cheap
# and never leaves a half-written file behind for a running server to serve.
# Needs only coreutils (no Node), so the Dockerfile's node stage and the Makefile share it.
set -euo pipefail

if [[ ! -f package.json ]]; then
    echo "vendor-assets: run me from the repository root (where package.json is)" >&2
    exit 1
fi

dest="static/vendor"
# source (under node_modules/)              -> name under static/vendor/
assets=(
    "htmx.org/dist/htmx.min.js"             "htmx.min.js"
    "plotly.js-dist-min/plotly.min.js"      "plotly.min.js"
    "swagger-ui-dist/swagger-ui-bundle.js"  "swagger-ui-bundle.js"
    "swagger-ui-dist/swagger-ui-standalone-preset.js" "swagger-ui-standalone-preset.js"
    "swagger-ui-dist/swagger-ui.css"        "swagger-ui.css"
)

mkdir -p "$dest"
for ((i = 0; i < ${#assets[@]}; i += 2)); do
    src="node_modules/${assets[i]}"
    out="$dest/${assets[i + 1]}"
    if [[ ! -f "$src" ]]; then
        echo "vendor-assets: $src is missing; run 'npm ci --no-audit --no-fund' first" >&2
        exit 1
    fi
    if [[ -f "$out" ]] && cmp -s "$src" "$out"; then
        continue
    fi
    # Write beside the target, then rename: atomic on one filesystem.
    tmp="$(mktemp "$dest/.${assets[i + 1]}.XXXXXX")"
    cp "$src" "$tmp"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$out"
    echo "vendor-assets: $out <- $src"
done
