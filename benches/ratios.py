#!/usr/bin/env python3
"""Prints the engine / hand-written ratios of the last `cargo bench --bench
apply` run from criterion's estimates (target/criterion/*/new/estimates.json,
medians), beside the issue's targets. Ratios only compare benchmarks of the
same run, so run the whole bench, then this."""

import json
import os
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"


def median(group, name):
    """Median time in ns of one benchmark (criterion's directory names)."""
    # `name` is criterion's directory name (`:` became `_`; a parameter
    # is a subdirectory).
    path = os.path.join(ROOT, group, name, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


def fmt(ns):
    return f"{ns / 1e6:.2f} ms" if ns >= 1e5 else f"{ns / 1e3:.2f} µs"


ROWS = [
    ("seed authorize URL → rewritten URL", ("seed", "engine_ parse + apply"), ("seed", "hand-written url + regex"), "≤ 0.5×"),
    ("token refresh body with resource + scope", ("token", "engine_ parse + apply"), ("token", "hand-written url + regex"), "≤ 1.0×"),
    ("Entra error callback → verdict", ("callback", "engine_ classify (parse + decide)"), ("callback", "hand-written url + regex"), "≤ 1.5×"),
    ("apply, 1051 providers vs 1", ("providers", "apply/1051"), ("providers", "apply/1"), "≤ 1.25×"),
]

print(f"| path | engine | baseline | ratio | target |")
print("|---|---|---|---|---|")
for label, engine, base, target in ROWS:
    try:
        e, b = median(*engine), median(*base)
    except FileNotFoundError as err:
        print(f"| {label} | missing: {err.filename} | | | {target} |")
        continue
    print(f"| {label} | {fmt(e)} | {fmt(b)} | {e / b:.2f}× | {target} |")
for label, name, target in [
    ("load the shipped library", "shipped library", "< 5 ms"),
    ("load 1051 generated providers", "1051 generated providers", "< 50 ms"),
]:
    try:
        print(f"| {label} | {fmt(median('load', name))} | | | {target} |")
    except FileNotFoundError as err:
        print(f"| {label} | missing: {err.filename} | | | {target} |")
