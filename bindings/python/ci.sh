#!/usr/bin/env bash
# The Python package as a user gets it (.ci/run calls this): a fresh virtual
# environment, `pip install ./bindings/python` (maturin builds the extension
# in release mode), the issue's smoke command, then the package's tests and
# the ContextForge example's end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo clippy --quiet -p oauth-policy-python -- -D warnings

venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
py="$venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check maturin pytest -r examples/contextforge/requirements.txt
"$py" -m pip install --quiet --disable-pip-version-check ./bindings/python

URL='https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?client_id=c&response_type=code&scope=openid%20api%3A%2F%2Fmcp%2Faccess&resource=https%3A%2F%2Fmcp.example.com&state=xyz123'
want='https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?client_id=c&response_type=code&scope=openid%20api%3A%2F%2Fmcp%2Faccess&state=xyz123'
# Run from elsewhere, so the installed package is imported, not the source tree.
got=$(cd "$venv" && "$py" -c "from oauth_policy import Policy, Request; print(Policy.builtin().apply(Request.authorize('$URL')).url)")
echo "$got"
[ "$got" = "$want" ] || { echo "the smoke command printed the wrong URL" >&2; exit 1; }

"$py" -m pytest -q -p no:cacheprovider bindings/python/tests
"$py" -m pytest -q -p no:cacheprovider examples/contextforge
