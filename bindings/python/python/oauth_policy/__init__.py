"""oauth-policy: per-provider OAuth/OIDC request shaping and callback
classification, driven by ``.policy`` files, running in-process.

    >>> from oauth_policy import Policy, Request
    >>> policy = Policy.builtin()
    >>> out = policy.apply(Request.authorize(url))
    >>> out.url, out.provider, out.changes, out.denied

Every object is immutable and safe to share between threads; the engine runs
with the GIL released. See the package README and ``__init__.pyi``.
"""

from ._native import (
    Callback,
    Candidate,
    Change,
    Denial,
    Diagnostic,
    Layer,
    LoadError,
    Location,
    Outcome,
    Policy,
    PolicyStore,
    Request,
    RequestError,
    Step,
    Trace,
    Verdict,
)

__all__ = [
    "Callback",
    "Candidate",
    "Change",
    "Denial",
    "Diagnostic",
    "Layer",
    "LoadError",
    "Location",
    "Outcome",
    "Policy",
    "PolicyStore",
    "Request",
    "RequestError",
    "Step",
    "Trace",
    "Verdict",
]
