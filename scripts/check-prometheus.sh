#!/usr/bin/env bash
# The Prometheus rules of ops/ as Prometheus itself reads them: promtool (Debian package
# `prometheus`) checks the rule file and runs the burn-rate alerts' unit tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
promtool check rules ops/prometheus/alerts.yaml
promtool test rules ops/prometheus/alerts.test.yaml
