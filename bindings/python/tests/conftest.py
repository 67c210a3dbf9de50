"""Shared fixtures."""

import pytest

from oauth_policy import Policy


@pytest.fixture(scope="session")
def builtin():
    return Policy.builtin()
