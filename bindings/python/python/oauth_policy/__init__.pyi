"""Type stubs for oauth_policy (the classes live in ``oauth_policy._native``)."""

import os
from typing import Any, Dict, Iterable, List, Literal, Optional, Sequence, Tuple, Union

_Path = Union[str, "os.PathLike[str]"]

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

class LoadError(Exception):
    """A policy or overlay could not be loaded. ``str(e)`` is the report
    ``policyc`` prints (no colour)."""

    diagnostics: List["Diagnostic"]
    """Every problem, one object each."""

class RequestError(ValueError):
    """A URL or body the engine cannot read. ``str(e)`` is the report."""

    code: str
    """The stable code: ``request::invalid_url``, ``request::no_host``,
    ``request::control_character``, ``request::too_large``,
    ``request::too_many_parameters``."""

class Diagnostic:
    """One problem behind a :class:`LoadError`."""

    @property
    def code(self) -> str:
        """The stable code, e.g. ``policy::E013``."""
    @property
    def message(self) -> str: ...
    @property
    def file(self) -> str:
        """The file (or, for an unreadable path, the path)."""
    @property
    def line(self) -> Optional[int]:
        """1-based; ``None`` for an error about a whole path."""
    @property
    def column(self) -> Optional[int]: ...
    @property
    def help(self) -> Optional[str]: ...

class Location:
    """Where a rule is written; ``str()`` gives ``file:line:column``."""

    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...

class Layer:
    """One layer of a policy: the base, then each overlay."""

    @property
    def name(self) -> str:
        """``builtin`` or the path it was loaded from."""
    @property
    def revision(self) -> str: ...
    @property
    def files(self) -> int: ...

class Request:
    """An authorize URL or a token request, parsed once."""

    @staticmethod
    def authorize(url: str) -> "Request":
        """An authorization request URL. Raises :class:`RequestError`."""
    @staticmethod
    def token(url: str, body: str) -> "Request":
        """A token request (code exchange or refresh): the token endpoint and
        its form-encoded body. Raises :class:`RequestError`."""
    @property
    def kind(self) -> Literal["authorize", "token"]: ...
    @property
    def url(self) -> str: ...
    @property
    def host(self) -> str:
        """The host used to choose the provider (lower-case, IDNA)."""

class Callback:
    """A redirect back from the provider."""

    @staticmethod
    def from_url(url: str) -> "Callback":
        """The callback URL (a query response, or a fragment one for a flow in
        fragment mode). Raises :class:`RequestError`."""
    @staticmethod
    def from_form(body: str) -> "Callback":
        """A ``response_mode=form_post`` body. Raises :class:`RequestError`."""

class Change:
    """One change a rule made."""

    @property
    def rule(self) -> str:
        """``PROVIDER/SECTION/NAME``."""
    @property
    def action(self) -> str:
        """``drop``, ``set``, ``default``, ``rename``, …"""
    @property
    def param(self) -> str: ...
    @property
    def location(self) -> Location: ...

class Denial:
    """A refusal: never send the request."""

    @property
    def reason(self) -> str: ...
    @property
    def rule(self) -> str: ...
    @property
    def location(self) -> Location: ...

class Outcome:
    """What :meth:`Policy.apply` made of a request. Parameters no rule
    touched are byte-identical to the input, in their order."""

    @property
    def url(self) -> str:
        """The URL to send: rewritten for authorize, as given for token."""
    @property
    def body(self) -> Optional[str]:
        """The rewritten form body of a token request."""
    @property
    def provider(self) -> Optional[str]:
        """The provider block that applied, if any."""
    @property
    def changes(self) -> List[Change]: ...
    @property
    def denied(self) -> Optional[Denial]:
        """Set when a ``deny`` rule fired: do not send the request."""

class Verdict:
    """What to do with a callback. Redeem :attr:`code` only when
    :attr:`outcome` is ``"success"``. ``repr()`` never shows code or state."""

    @property
    def outcome(self) -> Literal["success", "provider_error", "invalid"]: ...
    @property
    def category(self) -> str:
        """``ok``, ``access_denied``, ``invalid_target``, ``missing_code``,
        ``state_mismatch``, … (docs/language.md)."""
    @property
    def retryable(self) -> bool:
        """Whether the gateway may start a new authorization by itself."""
    @property
    def provider(self) -> Optional[str]: ...
    @property
    def provider_code(self) -> Optional[str]:
        """``AADSTS…``/``AADB2C…``, or a provider's own error value."""
    @property
    def error(self) -> Optional[str]: ...
    @property
    def error_description(self) -> Optional[str]: ...
    @property
    def hint(self) -> Optional[str]:
        """A short operator-facing fix."""
    @property
    def rule(self) -> str:
        """The deciding rule: a provider rule id or ``builtin/…``."""
    @property
    def code(self) -> Optional[str]:
        """The authorization code (success only)."""
    @property
    def state(self) -> Optional[str]:
        """The state (success only)."""

class Candidate:
    """A provider the host index proposed, in the order tried."""

    @property
    def provider(self) -> str: ...
    @property
    def location(self) -> Location: ...
    @property
    def matched(self) -> bool: ...
    @property
    def matched_by(self) -> Optional[Location]:
        """Which ``match`` held: the provider's own or an overlay's ``also match``."""

class Step:
    """One rule considered."""

    @property
    def rule(self) -> str: ...
    @property
    def location(self) -> Location: ...
    @property
    def held(self) -> bool:
        """Whether its condition held."""
    @property
    def effect(self) -> str:
        """``changed``, ``no effect``, ``condition false``, ``denied: …``,
        ``stopped``, ``skipped: …``."""

class Trace:
    """What :meth:`Policy.explain` returns: the outcome and how it was reached."""

    @property
    def outcome(self) -> Outcome: ...
    @property
    def candidates(self) -> List[Candidate]: ...
    @property
    def steps(self) -> List[Step]: ...

class Policy:
    """A compiled, immutable policy; share one between threads."""

    @staticmethod
    def builtin(overlays: Sequence[_Path] = ...) -> "Policy":
        """The provider library embedded in the package, with optional
        overlay directories on top. Raises :class:`LoadError` (overlays only)."""
    @staticmethod
    def load(path: _Path, overlays: Sequence[_Path] = ...) -> "Policy":
        """A ``.policy`` file or a directory of them, then each overlay on
        top. Raises :class:`LoadError`."""
    @staticmethod
    def from_sources(sources: Iterable[Tuple[str, str]]) -> "Policy":
        """In-memory files ``(name, text)``. Raises :class:`LoadError`."""
    def with_overlay(self, path: _Path) -> "Policy":
        """This policy with an overlay on top (``self`` is unchanged)."""
    def with_overlay_sources(self, layer: str, sources: Iterable[Tuple[str, str]]) -> "Policy":
        """This policy with in-memory overlay files on top, as layer ``layer``."""
    @property
    def revision(self) -> str:
        """A content hash of the loaded files."""
    @property
    def providers(self) -> List[str]:
        """Provider names, in load order."""
    @property
    def layers(self) -> List[Layer]: ...
    def apply(self, request: Request) -> Outcome:
        """Rewrites a request (GIL released). Never raises."""
    def explain(self, request: Request) -> Trace:
        """Like :meth:`apply`, recording every decision."""
    def classify(
        self,
        callback: Callback,
        *,
        provider: Optional[str] = None,
        authorize_url: Optional[str] = None,
        expected_state: Optional[str] = None,
        expected_issuer: Optional[str] = None,
        require_iss: bool = False,
        no_state: bool = False,
        response_mode: Optional[str] = None,
    ) -> Verdict:
        """Classifies a callback (GIL released); every input gets a verdict.

        ``provider`` names the provider block (``ValueError`` whose message
        is the ``policy::E022`` report with a "did you mean", if the policy
        has none of that name), or ``authorize_url`` (the URL the flow started
        with) picks it. ``expected_state`` is the state sent; ``no_state``
        says none was sent (PKCE only). ``expected_issuer`` is checked against
        ``iss`` (RFC 9207); ``require_iss`` when the provider advertises it.
        ``response_mode`` (e.g. ``"fragment"``) says where the response is.
        """

class PolicyStore:
    """A policy kept current from its directories: loaded now, watched, and
    reloaded on a background thread. A set of files that does not load never
    replaces the served policy (keep-last-good)."""

    @staticmethod
    def watch(
        path: _Path,
        overlays: Sequence[_Path] = ...,
        *,
        debounce: float = 0.1,
        rescan_interval: Optional[float] = 30.0,
        file_events: bool = True,
        on_reload_error: Literal["keep", "fail_closed"] = "keep",
    ) -> "PolicyStore":
        """Loads the directory ``path`` and the overlays (raising
        :class:`LoadError` as :meth:`Policy.load` would), then watches them.
        ``debounce``: the quiet period (seconds) that ends a burst of edits;
        ``rescan_interval``: re-read this often even without file events
        (``None``: never); ``file_events=False`` for filesystems without
        inotify; ``on_reload_error="fail_closed"``: ``status["serving"]`` is
        false while the newest files do not load."""
    @staticmethod
    def builtin(
        overlays: Sequence[_Path] = ...,
        *,
        debounce: float = 0.1,
        rescan_interval: Optional[float] = 30.0,
        file_events: bool = True,
        on_reload_error: Literal["keep", "fail_closed"] = "keep",
    ) -> "PolicyStore":
        """The embedded library (never changes) with watched overlays."""
    def current(self) -> Policy:
        """The last good policy; take it once per request."""
    @property
    def status(self) -> Dict[str, Any]:
        """``revision``, ``generation`` (1 at start, +1 per swap),
        ``loaded_at`` (Unix seconds), ``stale``, ``serving``,
        ``last_reload`` (``result``: initial/ok/unchanged/failed,
        ``trigger``, ``at``, ``errors``: list of dicts with code, message,
        location, help, ``message``: the report) and ``reloads``
        (``ok``, ``unchanged``, ``failed`` counts)."""
    def reload_now(self) -> bool:
        """Queues a reload (as SIGHUP does for policyd); False when nothing
        can change."""
