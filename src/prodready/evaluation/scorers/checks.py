"""Layer 1, checks: deterministic tests of a run's output. Cheap, so they run first.

Every check reads ``result.output``: a string as it is; for a dict output (or a string that
holds a JSON object) ``field="answer"`` or ``field="a.b.0"`` selects a value first, and
anything that is not a string is checked as its JSON text. A missing field fails the check
(the output lacks what was asked of it); it is not a scorer error.

See ``docs/scorers.md`` for the table of checks and what "normalised" means for facts.
"""

from __future__ import annotations

import importlib
import inspect
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import orjson

from prodready.data.pii import PII_KINDS, PiiKind, detect_pii
from prodready.evaluation._registry import BoundScorer, ScoreFn, Verdict, scorer
from prodready.evaluation._types import Case, CaseResult, content_hash

TextCheck = Callable[[Case, str], Verdict]

# --- reading the output ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Missing:
    reason: str


def _select(output: Any, field: str | None) -> Any:
    """``output`` or the value at ``field`` in it (a ``_Missing`` when there is none)."""
    if field is None:
        return output
    value = output
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return _Missing(f"output is not JSON, so it has no field {field!r}")
    for part in field.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and re.fullmatch(r"-?\d+", part) and _fits(part, value):
            value = value[int(part)]
        else:
            have = ", ".join(map(str, value)) if isinstance(value, dict) else type(value).__name__
            return _Missing(f"output has no field {field!r} (no {part!r} in: {have or 'nothing'})")
    return value


def _fits(index: str, items: list[Any]) -> bool:
    return -len(items) <= int(index) < len(items)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _on_text(field: str | None, check: TextCheck) -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        value = _select(result.output, field)
        if isinstance(value, _Missing):
            return Verdict(0.0, passed=False, rationale=value.reason)
        return check(case, _as_text(value))

    return score


def _excerpt(text: str, start: int = 0, end: int | None = None, width: int = 30) -> str:
    end = len(text) if end is None else end
    left = max(0, start - width)
    right = min(len(text), end + width)
    return ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")


def _passfail(ok: bool, rationale: str, **metadata: Any) -> Verdict:
    return Verdict(1.0 if ok else 0.0, passed=ok, rationale=rationale, metadata=metadata)


# --- regex, JSON schema, contains, length ------------------------------------------------------

_FLAGS: Final = {"i": re.I, "m": re.M, "s": re.S, "x": re.X, "a": re.A}


@scorer(layer="check", version="1")
def regex_match(
    pattern: str, *, flags: str = "", must_match: bool = True, field: str | None = None
) -> ScoreFn:
    """Passes when ``pattern`` matches somewhere in the output (or, with
    ``must_match=False``, nowhere). ``flags`` is any of ``i m s x a`` (``re`` flags)."""
    unknown = set(flags) - set(_FLAGS)
    if unknown:
        raise ValueError(f"unknown regex flag(s) {''.join(sorted(unknown))!r}; use i, m, s, x, a")
    compiled = re.compile(pattern, _regex_flags(flags))

    def check(case: Case, text: str) -> Verdict:
        m = compiled.search(text)
        shown = f"/{pattern}/{flags}"
        if m is None:
            why = f"no match for {shown} in output {_excerpt(text, 0, 0, 60)!r}"
            return _passfail(not must_match, why)
        where = f"{shown} matched {m.group()!r} at {m.start()}-{m.end()}"
        if must_match:
            return _passfail(True, where, match=m.group())
        return _passfail(False, f"output must not match, but {where}", match=m.group())

    return _on_text(field, check)


def _regex_flags(flags: str) -> re.RegexFlag:
    combined = re.RegexFlag(0)
    for f in flags:
        combined |= _FLAGS[f]
    return combined


@scorer(layer="check", version="1")
def json_schema(schema: dict[str, Any], *, field: str | None = None) -> ScoreFn:
    """Passes when the output (parsed as JSON if it is a string) validates against
    ``schema``; the rationale lists every error with its JSON path (``$.items[0].id``)."""
    from jsonschema.validators import validator_for  # import on use: keeps startup light

    cls = validator_for(schema)
    cls.check_schema(schema)  # a broken schema fails at creation, not on every case
    validator = cls(schema)

    def score(case: Case, result: CaseResult) -> Verdict:
        value = _select(result.output, field)
        if isinstance(value, _Missing):
            return _passfail(False, value.reason)
        if isinstance(value, str):
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError as exc:
                where = f"field {field!r}" if field else "output"
                return _passfail(False, f"{where} is not JSON ({exc}): {_excerpt(value)!r}")
        errors = sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.path)))
        if not errors:
            return _passfail(True, "output matches the schema")
        found = [f"{_json_path(e.absolute_path)}: {e.message}" for e in errors]
        why = f"{len(found)} schema error(s): " + "; ".join(found)
        return _passfail(False, why, errors=found)

    return score


def _json_path(path: Iterable[Any]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _fold(text: str, case_sensitive: bool) -> str:
    text = " ".join(text.split())
    return text if case_sensitive else text.casefold()


@scorer(layer="check", version="1")
def contains(
    text: str | None = None,
    *,
    any_of: list[str] | None = None,
    all_of: list[str] | None = None,
    case_sensitive: bool = False,
    field: str | None = None,
) -> ScoreFn:
    """Passes when the output contains ``text``, every string in ``all_of`` and at least one
    of ``any_of`` (whitespace runs count as one space). Value: share of requirements met."""
    required = ([text] if text is not None else []) + list(all_of or [])
    if not required and not any_of:
        raise ValueError("contains needs text, all_of or any_of")

    def check(case: Case, output: str) -> Verdict:
        hay = _fold(output, case_sensitive)
        missing = [t for t in required if _fold(t, case_sensitive) not in hay]
        problems = [f"missing {t!r}" for t in missing]
        total = len(required)
        if any_of:
            total += 1
            if not any(_fold(t, case_sensitive) in hay for t in any_of):
                problems.append(f"none of {any_of!r}")
        met = total - len(problems)
        why = "; ".join(problems) + " in output" if problems else "output contains all of it"
        return Verdict(met / total, passed=not problems, rationale=why)

    return _on_text(field, check)


@scorer(layer="check", version="1")
def not_contains(
    text: str | None = None,
    *,
    any_of: list[str] | None = None,
    case_sensitive: bool = False,
    field: str | None = None,
) -> ScoreFn:
    """Passes when the output contains neither ``text`` nor any string in ``any_of``."""
    banned = ([text] if text is not None else []) + list(any_of or [])
    if not banned:
        raise ValueError("not_contains needs text or any_of")

    def check(case: Case, output: str) -> Verdict:
        hay = _fold(output, case_sensitive)
        present = []
        for t in banned:
            at = hay.find(_fold(t, case_sensitive))
            if at >= 0:
                present.append(f"{t!r} in {_excerpt(hay, at, at + len(t))!r}")
        if not present:
            return _passfail(True, "output contains none of the banned text")
        return _passfail(False, "output contains " + "; ".join(present))

    return _on_text(field, check)


@scorer(layer="check", version="1")
def length(
    min_chars: int | None = None,
    max_chars: int | None = None,
    *,
    min_words: int | None = None,
    max_words: int | None = None,
    field: str | None = None,
) -> ScoreFn:
    """Passes when the output's characters and words are within the given bounds."""
    bounds = {"min_chars": min_chars, "max_chars": max_chars}
    bounds |= {"min_words": min_words, "max_words": max_words}
    if all(v is None for v in bounds.values()):
        raise ValueError("length needs at least one bound")

    def check(case: Case, text: str) -> Verdict:
        size = {"chars": len(text), "words": len(text.split())}
        problems = []
        for name, bound in bounds.items():
            if bound is None:
                continue
            unit = name.split("_")[1]
            low = name.startswith("min")
            if (size[unit] < bound) if low else (size[unit] > bound):
                side = "below" if low else "above"
                problems.append(f"{size[unit]} {unit}, {side} {name}={bound}")
        why = "; ".join(problems) or f"{size['chars']} chars, {size['words']} words: within bounds"
        return _passfail(not problems, why, **size)

    return _on_text(field, check)


@scorer(layer="check", version="1")
def no_pii(*, kinds: list[PiiKind] | None = None, field: str | None = None) -> ScoreFn:
    """Passes when the output holds no PII of the given kinds (default: every kind that
    :func:`prodready.data.pii.detect_pii` knows). The rationale masks what it found."""
    wanted = tuple(kinds) if kinds is not None else PII_KINDS
    detect_pii("", wanted)  # unknown kinds fail at creation

    def check(case: Case, text: str) -> Verdict:
        found = detect_pii(text, wanted)
        if not found:
            return _passfail(True, "no PII in output", count=0)
        listed = ", ".join(f"{m.masked()} at {m.start}-{m.end}" for m in found)
        kinds_found = sorted({m.kind for m in found})
        why = f"output contains {len(found)} PII item(s): {listed}"
        return _passfail(False, why, count=len(found), kinds=kinds_found)

    return _on_text(field, check)


# --- Python function checks --------------------------------------------------------------------

CheckResult = bool | float | Verdict
CheckFn = Callable[[Case, CaseResult], "CheckResult | Awaitable[CheckResult]"]


def python_check(
    fn: CheckFn | str,
    *,
    version: str | None = None,
    threshold: float | None = None,
    name: str | None = None,
) -> BoundScorer:
    """Any function ``(case, result) -> bool | float | Verdict`` (sync or async) as a check.

    The spec records ``fn`` as ``"module:qualname"`` so the check can be rebuilt by import,
    and a ``version``: yours, or by default a hash of the function's source, so cached scores
    are not reused after the function changes (and rebuilding refuses a changed function).

    Args:
        fn: a module-level function, or its ``"module:qualname"``.
        version: the function's version (default: ``sha256:`` of its source).
        threshold: for float results, the value at or above which the check passes.
        name: the name its scores carry (default ``python_check``).

    Raises:
        ValueError: ``fn`` cannot be imported again by its name (a lambda or a local function).
    """
    path = fn if isinstance(fn, str) else f"{fn.__module__}:{fn.__qualname__}"
    resolved = _import(path)
    if not isinstance(fn, str) and resolved is not fn:
        raise ValueError(
            f"python_check needs a function it can import again as {path!r}; "
            "define it at module level"
        )
    if version is None:
        version = _source_hash(resolved)
    label: dict[str, Any] = {} if name is None else {"name": name}  # taken by the registry
    return _python_check(path, version=version, threshold=threshold, **label)


@scorer(layer="check", version="1", name="python_check")
def _python_check(fn: str, *, version: str, threshold: float | None = None) -> ScoreFn:
    check = _import(fn)
    if version.startswith("sha256:") and version != _source_hash(check):
        raise ValueError(f"{fn} has changed since version {version} (now {_source_hash(check)})")

    async def score(case: Case, result: CaseResult) -> Verdict:
        out = check(case, result)
        if inspect.isawaitable(out):
            out = await out
        if isinstance(out, Verdict):
            return out
        if isinstance(out, bool):
            return _passfail(out, f"{fn} returned {out}")
        if isinstance(out, int | float):
            passed = None if threshold is None else out >= threshold
            limit = "" if threshold is None else f" (threshold {threshold})"
            return Verdict(float(out), passed=passed, rationale=f"{fn} returned {out}{limit}")
        raise TypeError(f"{fn} returned {type(out).__name__}; expected bool, float or Verdict")

    return score


def _import(path: str) -> Any:
    module_name, sep, qualname = path.partition(":")
    if not sep or not qualname:
        raise ValueError(f"expected 'module:qualname', got {path!r}")
    if "<" in qualname:
        raise ValueError(f"{path!r} is a lambda or local function; define it at module level")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"{path!r} is not callable")
    return obj


def _source_hash(fn: Any) -> str:
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        return "unversioned"
    return content_hash(source)[:19]  # "sha256:" + 12 hex digits


# --- required facts, normalised ----------------------------------------------------------------


@scorer(layer="check", version="1")
def required_facts(
    facts: list[str] | None = None, *, from_expected: bool = True, field: str | None = None
) -> ScoreFn:
    """The share of facts the output states, with normalised numbers, amounts, percentages
    and durations (see :func:`match_facts`). Facts come from ``facts`` plus, by default, the
    case's ``Expected.facts``. A case with no facts is not applicable: ``value=None``."""

    def check(case: Case, text: str) -> Verdict:
        wanted = list(facts or []) + (list(case.expected.facts) if from_expected else [])
        if not wanted:
            why = "not applicable: no facts given and the case expects none"
            return Verdict(None, passed=None, rationale=why, metadata={"applicable": False})
        found, missing = match_facts(wanted, text)
        share = len(found) / len(wanted)
        if not missing:
            return Verdict(1.0, passed=True, rationale=f"all {len(wanted)} facts found")
        shown = "; ".join(f"{f!r} (looked for: {_describe(f)})" for f in missing)
        why = f"{len(found)}/{len(wanted)} facts found; missing: {shown}"
        return Verdict(share, passed=False, rationale=why, metadata={"missing": missing})

    return _on_text(field, check)


def match_facts(facts: Sequence[str], text: str) -> tuple[list[str], list[str]]:
    """Which ``facts`` the text states, as ``(found, missing)``.

    Both sides are normalised the same way, then a fact is found when its tokens appear
    contiguously in the text's tokens:

    - case (``casefold``), Unicode form (NFKC), whitespace and punctuation;
    - numbers: ``1,000`` = ``1000`` = ``1000.00``; ``1.234,50`` = ``1234.5``; thin, no-break
      and ``'`` thousands separators; ``thousand``/``million``/``billion``, ``5k``;
    - number words zero to ninety-nine (``five`` = ``5``, ``twenty-one`` = ``21``), and ``a``
      or ``an`` before a duration unit (``an hour`` = ``1 hour``);
    - amounts: ``€25`` = ``25 EUR`` = ``EUR 25`` = ``25 euros`` (€ $ £ ¥ ₹ and ISO codes;
      ``$`` is USD);
    - percentages: ``5%`` = ``5 percent`` = ``5 per cent`` = ``5 pct``;
    - durations converted to one unit: ``2 days`` = ``48 hours`` = ``2880 minutes``,
      ``1 week`` = ``7 days``, ``1 year`` = ``12 months``; ``working``/``business`` days are
      their own unit (``5 working days`` = ``five business days`` ≠ ``5 days``);
    - ranges: ``3-5 days`` = ``3 to 5 days`` (a range is one value: ``5 days`` is not found
      in ``3-5 days``).

    A bare number in a fact matches that number with any unit in the text (fact ``25``
    is found in ``€25``); a fact with a unit needs the same unit.
    """
    haystack = _tokens(text)
    found: list[str] = []
    missing: list[str] = []
    for fact in facts:
        needle = _tokens(fact)
        (found if _contains(haystack, needle) else missing).append(fact)
    return found, missing


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # word, num, sym, amount, pct, dur, range
    value: str  # canonical form
    start: int = 0
    end: int = 0
    number: Decimal | None = None  # the number as written, for quantities
    unit: str = ""  # for quantities: eur, %, s, month, workday...
    factor: Decimal = Decimal(1)  # written unit -> canonical unit

    def same(self, other: _Tok) -> bool:
        return self.kind == other.kind and self.value == other.value


def _describe(fact: str) -> str:
    return " ".join(t.value for t in _tokens(fact)) or "(nothing)"


def _contains(haystack: list[_Tok], needle: list[_Tok]) -> bool:
    if not needle:
        return True
    for i in range(len(haystack) - len(needle) + 1):
        if all(_tok_match(f, haystack[i + j]) for j, f in enumerate(needle)):
            return True
    return False


def _tok_match(fact: _Tok, out: _Tok) -> bool:
    if fact.same(out):
        return True
    return fact.kind == "num" and out.number is not None and _num(out.number) == fact.value


_LEX = re.compile(
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d|,\d)|\d{1,3}(?:\.\d{3})+,\d+|\d+(?:\.\d+)?)"
    r"|(?P<word>[^\W\d_]+(?:['\u2019][^\W\d_]+)*)"
    r"|(?P<sym>[€$£¥₹%\-\u2013\u2014])"
)
_GROUPED_DIGITS = re.compile(r"(?<=\d)[\u00a0\u202f\u2009'](?=\d{3}(?!\d))")

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
         "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]  # fmt: skip
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_NUMBER_WORDS: Final = {w: i for i, w in enumerate(_ONES)} | {
    w: 10 * (i + 2) for i, w in enumerate(_TENS)
}
_SCALES: Final = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "k": 10**3, "bn": 10**9}
_CURRENCIES: Final = {
    "€": "eur", "eur": "eur", "euro": "eur", "euros": "eur",
    "$": "usd", "usd": "usd", "dollar": "usd", "dollars": "usd",
    "£": "gbp", "gbp": "gbp", "pound": "gbp", "pounds": "gbp", "sterling": "gbp",
    "¥": "jpy", "jpy": "jpy", "yen": "jpy", "₹": "inr", "inr": "inr", "rupees": "inr",
    **{c: c for c in ("chf", "cad", "aud", "nzd", "sek", "nok", "dkk", "pln", "czk", "huf",
                      "cny", "hkd", "sgd")},
}  # fmt: skip
_DURATIONS: Final[dict[str, tuple[str, int]]] = {
    **{w: ("s", 1) for w in ("second", "seconds", "sec", "secs", "s")},
    **{w: ("s", 60) for w in ("minute", "minutes", "min", "mins")},
    **{w: ("s", 3600) for w in ("hour", "hours", "hr", "hrs", "h")},
    **{w: ("s", 86400) for w in ("day", "days", "d")},
    **{w: ("s", 604800) for w in ("week", "weeks", "wk", "wks")},
    "fortnight": ("s", 1209600), "fortnights": ("s", 1209600),
    **{w: ("month", 1) for w in ("month", "months")},
    **{w: ("month", 12) for w in ("year", "years", "yr", "yrs")},
}  # fmt: skip
_ATTACHED_ONLY: Final = frozenset({"s", "h", "d", "k", "bn"})  # "5h", not "5 h"
_WORKING: Final = frozenset({"working", "business", "banking"})
_PERCENT: Final = frozenset({"%", "percent", "pct"})
_RANGE_WORDS: Final = frozenset({"-", "\u2013", "\u2014", "to"})  # hyphen, en and em dash


def _num(d: Decimal) -> str:
    text = format(d.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _parse_number(raw: str) -> Decimal:
    if "," in raw and "." in raw and raw.rfind(",") > raw.rfind("."):  # 1.234,50
        raw = raw.replace(".", "").replace(",", ".")
    try:
        return Decimal(raw.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the lexer only yields digits
        return Decimal(0)


def _lex(text: str) -> list[_Tok]:
    text = unicodedata.normalize("NFKC", _GROUPED_DIGITS.sub("", text)).casefold()
    out = []
    for m in _LEX.finditer(text):
        kind = m.lastgroup or "word"
        if kind == "num":
            n = _parse_number(m.group())
            out.append(_Tok("num", _num(n), m.start(), m.end(), number=n))
        else:
            out.append(_Tok(kind, m.group(), m.start(), m.end()))
    return out


def _tokens(text: str) -> list[_Tok]:
    toks = _lex(text)
    for step in (_number_words, _scales, _quantities, _ranges):
        toks = step(toks)
    return [_clean(t) for t in toks if not (t.kind == "sym" and t.value in _RANGE_WORDS)]


def _clean(t: _Tok) -> _Tok:
    if t.kind == "sym":  # a lone symbol: "€" alone reads as the currency, "%" as percent
        word = _CURRENCIES.get(t.value) or ("percent" if t.value == "%" else t.value)
        return _Tok("word", word, t.start, t.end)
    if t.kind == "word" and t.value in _CURRENCIES:
        return _Tok("word", _CURRENCIES[t.value], t.start, t.end)
    return t


def _number(t: _Tok | None) -> bool:
    return t is not None and t.kind == "num"


def _at(toks: list[_Tok], i: int) -> _Tok | None:
    return toks[i] if 0 <= i < len(toks) else None


def _number_words(toks: list[_Tok]) -> list[_Tok]:
    out: list[_Tok] = []
    i = 0
    while i < len(toks):
        t, nxt = toks[i], _at(toks, i + 1)
        n = _NUMBER_WORDS.get(t.value) if t.kind == "word" else None
        end = t.end
        if n is not None and n >= 20:  # twenty-one, twenty one
            j = i + 2 if nxt is not None and nxt.value == "-" else i + 1
            ones = _at(toks, j)
            if ones is not None and 0 < _NUMBER_WORDS.get(ones.value, 0) < 10:
                n, end, i = n + _NUMBER_WORDS[ones.value], ones.end, j
        elif t.value in ("a", "an") and nxt is not None and _unit_word(nxt.value):
            n = 1  # "an hour", "a week"
        out.append(t if n is None else _Tok("num", str(n), t.start, end, number=Decimal(n)))
        i += 1
    return out


def _unit_word(word: str) -> bool:
    return word in _DURATIONS and word not in _ATTACHED_ONLY


def _attached(word: _Tok, number: _Tok) -> bool:
    return word.value not in _ATTACHED_ONLY or word.start == number.end


def _scales(toks: list[_Tok]) -> list[_Tok]:
    out: list[_Tok] = []
    for t in toks:
        prev = out[-1] if out else None
        if prev is not None and _number(prev) and t.value in _SCALES and _attached(t, prev):
            n = (prev.number or Decimal(0)) * _SCALES[t.value]
            out[-1] = _Tok("num", _num(n), prev.start, t.end, number=n)
        else:
            out.append(t)
    return out


def _quantity(kind: str, n: Decimal, unit: str, factor: int, start: int, end: int) -> _Tok:
    value = _duration(n * factor) if unit == "s" else f"{_num(n * factor)} {unit}"
    return _Tok(kind, value, start, end, number=n, unit=unit, factor=Decimal(factor))


def _quantities(toks: list[_Tok]) -> list[_Tok]:
    out: list[_Tok] = []
    i = 0
    while i < len(toks):
        t, nxt = toks[i], _at(toks, i + 1)
        made, used = _quantity_at(toks, i)
        if made is not None:
            out.append(made)
            i += used
        elif t.value in _CURRENCIES and _number(nxt) and nxt is not None:  # €25, EUR 25
            n = nxt.number or Decimal(0)
            out.append(_quantity("amount", n, _CURRENCIES[t.value], 1, t.start, nxt.end))
            i += 2
        else:
            out.append(t)
            i += 1
    return out


def _quantity_at(toks: list[_Tok], i: int) -> tuple[_Tok | None, int]:
    """A quantity starting with the number at ``i`` (25 EUR, 5%, 2 days...) and its length."""
    t = toks[i]
    if not _number(t) or t.number is None:
        return None, 0
    j = i + 2 if (h := _at(toks, i + 1)) is not None and h.value == "-" else i + 1
    a, b = _at(toks, j), _at(toks, j + 1)
    if a is None:
        return None, 0
    if a.value in _CURRENCIES and j == i + 1:
        return _quantity("amount", t.number, _CURRENCIES[a.value], 1, t.start, a.end), 2
    if a.value in _PERCENT and j == i + 1:
        return _quantity("pct", t.number, "%", 1, t.start, a.end), 2
    if a.value == "per" and b is not None and b.value == "cent":
        return _quantity("pct", t.number, "%", 1, t.start, b.end), 3
    if a.value in _WORKING and b is not None and b.value in ("day", "days"):
        return _quantity("dur", t.number, "workday", 1, t.start, b.end), j - i + 2
    if a.value == "calendar" and b is not None and b.value in ("day", "days"):
        return _quantity("dur", t.number, "s", 86400, t.start, b.end), j - i + 2
    if a.value in _DURATIONS and _attached(a, t):
        unit, factor = _DURATIONS[a.value]
        return _quantity("dur", t.number, unit, factor, t.start, a.end), j - i + 1
    return None, 0


_READABLE: Final = (("day", 86400), ("hour", 3600), ("minute", 60))


def _duration(seconds: Decimal) -> str:
    """Seconds in the largest unit that divides them exactly (one form per length of time)."""
    for unit, size in _READABLE:
        if seconds and seconds % size == 0:
            return f"{_num(seconds / size)} {unit}"
    return f"{_num(seconds)} second"


def _ranges(toks: list[_Tok]) -> list[_Tok]:
    out: list[_Tok] = []
    i = 0
    while i < len(toks):
        lo, sep, hi = toks[i], _at(toks, i + 1), _at(toks, i + 2)
        if (
            sep is not None
            and hi is not None
            and sep.value in _RANGE_WORDS
            and lo.number is not None
            and hi.number is not None
            and (lo.kind == "num" or (lo.kind, lo.unit) == (hi.kind, hi.unit))
        ):
            low = lo.number * (hi.factor if lo.kind == "num" else lo.factor)
            high = hi.number * hi.factor
            if hi.unit == "s":
                value = f"{_duration(low)}..{_duration(high)}"
            else:
                value = f"{_num(low)}..{_num(high)} {hi.unit}".rstrip()
            out.append(_Tok("range", value, lo.start, hi.end))
            i += 3
        else:
            out.append(lo)
            i += 1
    return out
