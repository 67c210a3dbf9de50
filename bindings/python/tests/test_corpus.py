"""Every case of the public corpus and of every provider case file, through
the Python package."""

import json

import pytest

from oauth_policy import Policy

from support import cases, run_case
from support import ROOT

PUBLIC = json.loads((ROOT / "tests/corpus/public.json").read_text())
PROVIDER_FILES = sorted((ROOT / "policies/tests").glob("*.json"))


def _ids(data, prefix=""):
    return [f"{prefix}{kind}/{case['id']}" for kind, case in cases(data)]


@pytest.fixture(scope="module")
def public_policy():
    # The corpus names a self-managed GitLab the shipped library cannot know:
    # it runs with the overlay an operator of that instance would write.
    return Policy.builtin(overlays=[ROOT / "tests/corpus/overlay"])


@pytest.mark.parametrize(("kind", "case"), list(cases(PUBLIC)), ids=_ids(PUBLIC))
def test_public_corpus(public_policy, kind, case):
    assert run_case(public_policy, kind, case) == []


def test_public_corpus_is_all_there():
    # 39 authorize and 50 callback cases when this test was written: a
    # corpus that silently lost its cases would pass every test above.
    assert len(PUBLIC["authorize"]) >= 39
    assert len(PUBLIC["callback"]) >= 50


PROVIDER_CASES = [
    (path.name, kind, case)
    for path in PROVIDER_FILES
    for kind, case in cases(json.loads(path.read_text()))
]


@pytest.mark.parametrize(
    ("file", "kind", "case"),
    PROVIDER_CASES,
    ids=[f"{f}:{k}/{c['id']}" for f, k, c in PROVIDER_CASES],
)
def test_provider_case_files(builtin, file, kind, case):
    assert run_case(builtin, kind, case) == []


def test_every_provider_file_has_cases():
    assert len(PROVIDER_FILES) >= 20
    files_with_cases = {f for f, _, _ in PROVIDER_CASES}
    assert files_with_cases == {p.name for p in PROVIDER_FILES}


def test_embedded_library_is_the_checkouts(builtin):
    # The package embeds policies/ at build time; a stale install would run
    # the case files above against other rules.
    assert Policy.load(ROOT / "policies").revision == builtin.revision


def test_a_wrong_expectation_fails(builtin):
    # The comparison itself can fail: the seed case with a wrong provider
    # and a parameter that must not survive.
    kind, case = next(
        (k, c) for k, c in cases(PUBLIC) if k == "authorize" and "resource" in c["input_url"]
    )
    wrong = dict(case, provider="google", expect={"drop": ["client_id"]})
    failures = run_case(builtin, kind, wrong)
    assert any(f.startswith("provider:") for f in failures)
    assert any("client_id" in f for f in failures)


def test_unparsable_output_is_a_failure(builtin):
    # A token case whose body the oracle cannot split is a failure, not a
    # vacuous pass of `drop`.
    from support import check_rewrite

    class Out:
        provider = None
        denied = None
        url = "https://a.example/t"
        body = "a=1\x01&resource=x"

    case = {"provider": "generic", "body": "a=1", "expect": {"drop": ["resource"]}}
    failures = check_rewrite(case, None, Out())
    assert any("do not parse" in f for f in failures)
