#!/usr/bin/env python3
"""The seed URL three ways, median time per call (not a test):

1. ``policy.apply(Request.authorize(url)).url``, in-process;
2. the pure-Python code a gateway has today: ``urllib.parse`` split, a
   hard-coded Entra host set and ``/oauth2/v2.0/`` path test, ``resource``
   dropped, the URL rebuilt;
3. a round trip to ``policyd`` on loopback (``POST /v1/authorize`` over one
   kept-alive HTTP/1.1 connection: the daemon's best case).

    python bindings/python/bench.py [--policyd target/release/policyd]

Builds ``target/release/policyd`` with cargo when it is missing. All three
must give the same URL; the script checks that before timing anything.
"""

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from oauth_policy import Policy, Request

ROOT = Path(__file__).resolve().parents[2]
SEED = (
    "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize"
    "?client_id=c&response_type=code&scope=openid%20api%3A%2F%2Fmcp%2Faccess"
    "&resource=https%3A%2F%2Fmcp.example.com&state=xyz123"
)

ENTRA_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.microsoftonline.de",
        "login.partner.microsoftonline.cn",
    }
)


def pure_python(url):
    """What the gateway does today, on a built URL."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in ENTRA_HOSTS and "/oauth2/v2.0/" in parts.path.lower():
        params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "resource"]
        return urlunsplit(parts._replace(query=urlencode(params, quote_via=quote)))
    return url


def median_per_call(fn, calls, batch):
    """Median over batches of the mean time of one call, in microseconds."""
    for _ in range(batch):  # warm up
        fn()
    samples = []
    for _ in range(calls // batch):
        start = time.perf_counter_ns()
        for _ in range(batch):
            fn()
        samples.append((time.perf_counter_ns() - start) / batch / 1000)
    return statistics.median(samples)


def start_policyd(binary):
    if not Path(binary).exists():
        subprocess.run(
            ["cargo", "build", "--release", "--quiet", "-p", "oauth-policy-daemon"], cwd=ROOT, check=True
        )
    proc = subprocess.Popen(
        [binary, "--listen", "127.0.0.1:0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    deadline = time.monotonic() + 30
    for line in proc.stderr:
        m = re.search(r"listening on http://([0-9.]+):(\d+)", line)
        if m:
            return proc, m.group(1), int(m.group(2))
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise SystemExit("policyd did not start")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policyd", default=str(ROOT / "target/release/policyd"))
    ap.add_argument("--calls", type=int, default=50_000, help="in-process calls per measurement")
    ap.add_argument("--daemon-calls", type=int, default=5_000)
    args = ap.parse_args()

    policy = Policy.builtin()
    engine = lambda: policy.apply(Request.authorize(SEED)).url  # noqa: E731
    expected = engine()
    assert pure_python(SEED) == expected, (pure_python(SEED), expected)

    proc, host, port = start_policyd(args.policyd)
    try:
        conn = http.client.HTTPConnection(host, port)
        payload = json.dumps({"url": SEED}).encode()
        headers = {"Content-Type": "application/json"}

        def daemon():
            conn.request("POST", "/v1/authorize", payload, headers)
            return json.loads(conn.getresponse().read())["url"]

        assert daemon() == expected
        results = {
            "oauth_policy (in-process)": median_per_call(engine, args.calls, 1000),
            "pure Python (urllib.parse)": median_per_call(lambda: pure_python(SEED), args.calls, 1000),
            "policyd on loopback": median_per_call(daemon, args.daemon_calls, 100),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    base = results["oauth_policy (in-process)"]
    print(f"Python {sys.version.split()[0]}, median per call:")
    for name, us in results.items():
        print(f"  {name:28} {us:8.2f} µs   {us / base:6.2f}x")


if __name__ == "__main__":
    main()
