"""Secret redaction at capture time: what ``@trace`` and ``span.input()``/``output()`` record
is scrubbed on the agent's thread, before the span is queued, so neither the store, the OTLP
copy nor a ``redact`` hook ever sees the secret.

Two rules, both on by default (``configure(redact_secrets=False)`` turns them off):

- **by name**: the value of an argument or dict key whose name looks secret (``api_key``,
  ``password``, ``Authorization``, ``client_secret``, ``X-Auth-Token``...) is replaced by
  :data:`REDACTED`, in dicts, lists, tuples, pydantic models and dataclasses down to
  :data:`MAX_DEPTH` levels;
- **by value**: substrings in a known secret format are masked wherever they are in the
  captured text (OpenAI and Anthropic ``sk-...`` keys, AWS access key ids, GitHub, Slack,
  Google and Stripe keys, JWTs, PEM private keys, ``Bearer``/``Basic`` credentials, the
  password in ``scheme://user:password@host``).

Why hand-written rather than detect-secrets (the well-kept scanner, 1.5.0): it scans source
files line by line, and ``scan_line`` with its default plugins costs ~600 µs per string,
~5 µs even for the eight format plugins called one by one, where a whole ``@trace`` span
costs ~15 µs; it returns the secrets, not where they are, its OpenAI rule misses project
keys (``sk-proj-...`` without the legacy ``T3BlbkFJ`` marker) and it has no Anthropic or
Bearer rule. Here the common case, text with none of the formats' fixed prefixes, costs
one scan for a few rare characters, and a format's full expression runs only when its
prefix is there (see ``_RULES``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[REDACTED]"
"""What a secret is replaced with."""

MAX_DEPTH = 6
"""Dicts, lists and tuples nested deeper than this are not searched for secret names."""

MAX_NODES = 2_000
"""At most this many keys and items are looked at per captured value (the rest is kept)."""

# A name's words: "X-Api-Key" -> x, api, key; "accessToken" -> access, token.
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_MAX_WORDS = 12
_MAX_NAME_CHARS = 200  # a long text used as a key is judged by its start
# A run of adjacent words that, joined, is one of these makes the name secret ...
_TERMS = frozenset(
    {
        "password",
        "passwords",
        "passwd",
        "passphrase",
        "pwd",
        "secret",
        "secrets",
        "token",
        "apikey",
        "accesskey",
        "privatekey",
        "secretkey",
        "sessionkey",
        "signingkey",
        "encryptionkey",
        "masterkey",
        "auth",
        "authorization",
        "authorisation",
        "credential",
        "credentials",
        "cookie",
        "cookies",
        "bearer",
    }
)
# ... and so does one word ending in one of these (accesstoken, dbpassword, openaiapikey).
_SUFFIXES = ("token", "password", "passwd", "secret", "apikey", "accesskey", "privatekey")
# Not a secret but a number or a label about one: max_token, num_token, total_token ...
_QUALIFIERS = frozenset({"max", "min", "num", "n", "total"})
# ... token_count, token_type, secret_name, api_key_id, password_file, auth_url.
_AFTER = frozenset(
    {
        "count",
        "counts",
        "limit",
        "limits",
        "len",
        "length",
        "size",
        "type",
        "kind",
        "name",
        "names",
        "id",
        "ids",
        "usage",
        "budget",
        "index",
        "idx",
        "url",
        "uri",
        "endpoint",
        "path",
        "file",
        "env",
        "var",
        "expiry",
        "expires",
        "ttl",
        "required",
        "enabled",
        "method",
        "scheme",
        "provider",
    }
)

# (gate, rule): the rule finds the secret; its gate finds the rule's fixed prefix and starts
# with a character rare in text (- _ A J B @), so that the gates joined in one expression are
# a fast scan (Python's re skips to those characters in C), ~10x faster than testing the
# prefixes with ``in``. The common case, text that no gate matches, stops there.
_RULES = (
    # OpenAI (sk-, sk-proj-...), Anthropic (sk-ant-...)
    (r"-(?<=sk-)", r"(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,}"),
    (r"_(?<=[rs]k_live_)", r"(?<![A-Za-z0-9])[rs]k_live_[A-Za-z0-9]{16,}"),  # Stripe
    (r"A[KS]IA", r"(?<![A-Z0-9])A[KS]IA[A-Z0-9]{16}(?![A-Z0-9])"),  # AWS access key id
    (r"AIza", r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}"),  # Google API key
    (  # GitHub
        r"_(?<=gh[pousr]_)|_(?<=github_pat_)",
        r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
    ),
    (r"-(?<=xox[abposr]-)", r"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}"),  # Slack
    (  # JWT
        r"J(?<=eyJ)",
        r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
    ),
    (  # a PEM private key up to its END line, else to the end of the (JSON) string
        r"-----BEGIN",
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
        r"(?:[^\"]*?-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|[^\"]*)",
    ),
    (  # an HTTP credential with at least one digit (so "Basic authentication" stays)
        r"B(?:earer|asic)",
        r"(?<![A-Za-z])(?P<keep>(?:Bearer|Basic)\s+)"
        r"(?=[A-Za-z._~+/=-]*[0-9])[A-Za-z0-9._~+/-]{8,}=*",
    ),
    (r"@", r"(?P<keep>://[^/\s:@\"]*:)[^/\s@\"]+(?=@)"),  # the password in a URL
)
_GATE = re.compile("|".join(gate for gate, _ in _RULES))
_COMPILED = tuple((re.compile(gate), re.compile(rule)) for gate, rule in _RULES)
_MIN_SECRET_CHARS = 10  # shorter text holds none of the formats above
_MAX_CACHED_NAMES = 4_096
_SCALARS = frozenset({str, int, float, bool, type(None)})
_NESTED = (dict, list, tuple)


def _compact(name: str) -> str:
    return "".join(_WORDS.findall(name)).lower()


class SecretPolicy:
    """The redaction in force: on or off, plus the caller's extra names and patterns.

    Args:
        enabled: redact at all.
        names: more secret names (``"ssn"``, ``"card_number"``), matched like the built-in
            ones: case and separators do not matter, and a name matches as a part of a
            longer one (``card_number`` catches ``customerCardNumber``).
        patterns: more regular expressions for secret values; each match is masked.

    Raises:
        ValueError: an entry of ``names`` is not a non-empty name, or of ``patterns`` not a
            valid regular expression.
    """

    __slots__ = ("_cache", "_clean", "_extra", "_names", "_plain", "_types", "enabled")

    def __init__(
        self,
        *,
        enabled: bool = True,
        names: Iterable[str] = (),
        patterns: Iterable[str | re.Pattern[str]] = (),
    ) -> None:
        self.enabled = enabled
        self._names = _TERMS | frozenset(_checked_names(names))
        self._extra = tuple(_checked_patterns(patterns))
        self._cache: dict[str, bool] = {}
        self._plain: set[str] = set()  # the names in _cache found not secret
        self._types: dict[type, bool] = {}
        self._clean = ""  # the last text found clean (held, so its identity stays unique)

    # --- names ------------------------------------------------------------------------------

    def is_secret_name(self, name: str) -> bool:
        """Whether a value under this argument or key name is a secret (cached per name)."""
        known = self._cache.get(name)
        if known is None:
            cache = self._cache
            if len(cache) >= _MAX_CACHED_NAMES:
                cache.clear()
                self._plain.clear()
            known = cache[name] = self._judge(name)
            if not known:
                self._plain.add(name)
        return known

    def _judge(self, name: str) -> bool:
        words = [w.lower() for w in _WORDS.findall(name[:_MAX_NAME_CHARS])[:_MAX_WORDS]]
        last = -1  # the last word of the last secret term in the name
        for i, word in enumerate(words):
            if word.endswith(_SUFFIXES):
                last = max(last, i)
            joined = ""
            for j in range(i, len(words)):
                joined += words[j]
                if joined in self._names:
                    last = max(last, j)
        if last < 0 or not _QUALIFIERS.isdisjoint(words):
            return False
        return _AFTER.isdisjoint(words[last + 1 :])

    def scrub(self, value: Any) -> Any:
        """``value`` with the values of secret-named keys replaced by :data:`REDACTED`.

        Looks into dicts, lists and tuples, and into pydantic models and dataclasses that
        have a secret-named field (as the dict of their fields, which is how they are
        stored); returns ``value`` itself when nothing was replaced, else a copy of the
        containers on the way to a secret.
        """
        if type(value) in _SCALARS:
            return value
        return self._scrub(value, MAX_DEPTH, [MAX_NODES])

    def is_clean(self, value: Any) -> bool:
        """Whether ``value`` certainly holds no secret, decided cheaply: the common case.

        True for a number, a text no rule's gate matches, and a dict of such values under
        names known not to be secret (the arguments of most calls). ``False`` means
        "look closer" (:meth:`scrub`, then :meth:`mask_attribute` on the stored form).
        """
        kind = type(value)
        if kind is str:
            return value is self._clean or self._clean_text(value)
        if kind is dict and value.keys() <= self._plain:
            for item in value.values():
                kind = type(item)
                if kind is str:
                    if item is not self._clean and not self._clean_text(item):
                        return False
                elif kind not in _SCALARS:
                    return False
            return True
        return kind in _SCALARS

    def _clean_text(self, text: str) -> bool:
        if self._extra or (len(text) >= _MIN_SECRET_CHARS and _GATE.search(text)):
            return False
        self._clean = text  # e.g. a question passed down, or an answer returned up, nested spans
        return True

    def _scrub(self, value: Any, depth: int, budget: list[int]) -> Any:
        if not isinstance(value, _NESTED):
            fields = self._secret_fields(value)
            return value if fields is None else self._scrub(fields, depth, budget)
        if isinstance(value, dict):
            out: Any = None
            for key, item in value.items():
                budget[0] -= 1
                if budget[0] < 0:
                    break
                if type(key) is str and self.is_secret_name(key):
                    new = REDACTED
                elif depth > 1 and type(item) not in _SCALARS:
                    new = self._scrub(item, depth - 1, budget)
                else:
                    continue
                if new is not item:
                    if out is None:
                        out = dict(value)
                    out[key] = new
            return value if out is None else out
        if depth <= 1:
            return value
        items: list[Any] | None = None
        for i, item in enumerate(value):
            budget[0] -= 1
            if budget[0] < 0:
                break
            if type(item) not in _SCALARS:
                new = self._scrub(item, depth - 1, budget)
                if new is not item:
                    if items is None:
                        items = list(value)
                    items[i] = new
        return value if items is None else items

    def _secret_fields(self, value: Any) -> dict[str, Any] | str | None:
        """A pydantic model's or dataclass's fields by name, if one of the names is secret
        (:data:`REDACTED` if they cannot be read)."""
        kind = type(value)
        secret = self._types.get(kind)
        if secret is None:
            if len(self._types) >= _MAX_CACHED_NAMES:
                self._types.clear()
            secret = self._types[kind] = any(map(self.is_secret_name, _field_names(kind)))
        if not secret:
            return None
        try:
            if dataclasses.is_dataclass(value):
                return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
            dumped = value.model_dump()
        except Exception:  # stored as its repr otherwise, secret and all
            return REDACTED
        return dumped if isinstance(dumped, dict) else REDACTED

    # --- values -----------------------------------------------------------------------------

    def mask(self, text: str) -> str:
        """``text`` with every substring in a known secret format replaced."""
        if self._extra:
            for pattern in self._extra:
                text = pattern.sub(REDACTED, text)
        if len(text) < _MIN_SECRET_CHARS or _GATE.search(text) is None:
            return text
        for gate, rule in _COMPILED:
            if gate.search(text) is not None:
                text = rule.sub(_replacement, text)
        return text

    def mask_attribute(self, value: Any) -> Any:
        """An attribute value (a string, or a list of them) with :meth:`mask` applied."""
        if type(value) is str:
            return self.mask(value)
        if type(value) is list and value and type(value[0]) is str:
            return [self.mask(v) for v in value]
        return value


def _field_names(kind: type) -> Iterable[str]:
    """The field names of a pydantic model or dataclass type (none for other types)."""
    if dataclasses.is_dataclass(kind):
        return [f.name for f in dataclasses.fields(kind)]
    fields = getattr(kind, "model_fields", None)
    if isinstance(fields, dict) and callable(getattr(kind, "model_dump", None)):
        return [name for name in fields if isinstance(name, str)]
    return ()


def _replacement(match: re.Match[str]) -> str:
    kept = match.groupdict().get("keep")
    return kept + REDACTED if kept else REDACTED


def _checked_names(names: Iterable[str]) -> Iterable[str]:
    if isinstance(names, str):
        raise ValueError(f"secret_names must be a list of names, not the string {names!r}")
    for name in names:
        compact = _compact(name) if isinstance(name, str) else ""
        if not compact:
            raise ValueError(f"secret_names: {name!r} is not a name (letters or digits)")
        yield compact


def _checked_patterns(patterns: Iterable[str | re.Pattern[str]]) -> Iterable[re.Pattern[str]]:
    if isinstance(patterns, str):
        raise ValueError(f"secret_patterns must be a list of patterns, not the string {patterns!r}")
    for pattern in patterns:
        if isinstance(pattern, re.Pattern):
            yield pattern
            continue
        if not isinstance(pattern, str) or not pattern:
            raise ValueError(f"secret_patterns: {pattern!r} is not a regular expression")
        try:
            yield re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"secret_patterns: {pattern!r} is not valid: {exc}") from None


class _Active:
    """The policy in force: redaction on with the built-in rules until ``configure()``."""

    __slots__ = ("policy",)

    def __init__(self) -> None:
        self.policy = SecretPolicy()


active = _Active()


def use(policy: SecretPolicy) -> None:
    """Make ``policy`` the one in force (``configure()`` calls this)."""
    active.policy = policy
