#!/usr/bin/env bash
# Check monitoring/: the Prometheus config parses, the alert rules are valid, and their
# unit tests pass (promtool, from Debian's `prometheus` package).
set -euo pipefail
cd "$(dirname "$0")/../monitoring/prometheus"
if ! command -v promtool >/dev/null; then
  echo "promtool not found: apt-get install -y prometheus" >&2
  exit 1
fi
# --syntax-only: the bearer-token file exists only inside the compose container.
promtool check config --syntax-only prometheus.yml
promtool check rules rules/*.yml
promtool test rules tests/*.yml
