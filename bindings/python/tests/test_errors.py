"""LoadError: a broken policy directory reports every problem as data and
as a report as clear as policyc's."""

import pytest

from oauth_policy import LoadError, Policy

from support import ROOT

BROKEN = """provider "x" {
  match host == "x.example"
  authorise { drop resource }
}
"""

BAD_REGEX = """provider "y" {
  match host ~ r"(unclosed"
}
"""


def test_broken_directory(tmp_path):
    (tmp_path / "a.policy").write_text(BROKEN)
    (tmp_path / "b.policy").write_text(BAD_REGEX)
    with pytest.raises(LoadError) as info:
        Policy.load(tmp_path)
    err = info.value
    assert len(err.diagnostics) == 2
    by_file = {d.file.rsplit("/", 1)[-1]: d for d in err.diagnostics}
    a = by_file["a.policy"]
    assert a.code.startswith("policy::E")
    assert "authorise" in a.message
    assert (a.line, a.column) == (3, 3)
    assert a.help and "authorize" in a.help
    b = by_file["b.policy"]
    assert b.line == 2 and b.code.startswith("policy::E")
    text = str(err)
    # The report names the files, shows the offending line, and has no colour.
    assert "the policy has 2 errors" in text
    assert "a.policy:3:3" in text and "authorise { drop resource }" in text
    assert "\x1b[" not in text


def test_missing_path(tmp_path):
    with pytest.raises(LoadError) as info:
        Policy.load(tmp_path / "nope")
    [d] = info.value.diagnostics
    assert d.code == "policy::E020"
    assert d.file.endswith("nope")
    assert d.line is None and d.column is None
    assert "cannot read" in str(info.value)


def test_empty_directory(tmp_path):
    with pytest.raises(LoadError) as info:
        Policy.load(tmp_path)
    [d] = info.value.diagnostics
    assert d.code == "policy::E021"
    assert d.help


def test_broken_overlay(tmp_path):
    (tmp_path / "o.policy").write_text('extend provider "no-such-provider" { }\n')
    with pytest.raises(LoadError) as info:
        Policy.builtin(overlays=[tmp_path])
    assert info.value.diagnostics[0].file.endswith("o.policy")


def test_load_with_overlays():
    policy = Policy.load(ROOT / "policies", overlays=[ROOT / "tests/corpus/overlay"])
    assert len(policy.layers) == 2
    assert policy.layers[1].files == 1


def test_overlays_must_be_a_list():
    # A bare string would otherwise be read as one overlay per character.
    with pytest.raises(TypeError):
        Policy.builtin(overlays=str(ROOT / "tests/corpus/overlay"))


def test_from_sources_error():
    with pytest.raises(LoadError) as info:
        Policy.from_sources([("inline.policy", BROKEN)])
    assert info.value.diagnostics[0].file == "inline.policy"
