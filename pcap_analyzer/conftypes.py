"""The convention typed settings are declared in, and the one function that builds them from TOML tables.

A settings section is a frozen dataclass whose fields carry their type and, for numbers, their range::

    @dataclass(frozen=True)
    class FlowsConfig:
        tcp_inactivity: Seconds          # Annotated[float, Range(0, above=True)]
        dns_ports: tuple[Port, ...]

The values live elsewhere (data/default_config.toml): ``build`` takes the default table and the user's overlay,
checks every key against the fields (an unknown or a missing key, a wrong type, a number out of its range is an
``InputError`` of one line naming the key) and returns the frozen instances.  Lists become tuples and tables of
data (``FrozenMap`` fields) become read-only mappings, so a whole config is hashable and pickles.

Every number must declare its range (a field of type int or float without a ``Range`` is a programming error,
raised when the class is first built), so no tunable is left unchecked.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import math
import re
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Callable, Generic, TypeVar

from .errors import InputError

K = TypeVar("K")
V = TypeVar("V")
MISSING: Any = object()
QUOTE = 60  # characters of a user's key quoted in a message


class FrozenMap(Mapping[K, V], Generic[K, V]):
    """A read-only, hashable, picklable mapping (a table of data: service per port, weight per type...)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[K, V] | None = None) -> None:
        self._data: dict[K, V] = dict(data or {})

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    # the dict's own lookups: Mapping's generic get / in go through __getitem__ and a KeyError per miss, and
    # detectors ask per flow (detect.facts.family)
    def get(self, key: K, default: Any = None) -> Any:
        return self._data.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __getstate__(self) -> dict[K, V]:
        return self._data

    def __setstate__(self, state: dict[K, V]) -> None:
        self._data = state


@dataclass(frozen=True)
class Range:
    """A number's bounds: at least ``lo`` (above ``lo`` when ``above``), at most ``hi``; None = unbounded."""

    lo: float | None = None
    hi: float | None = None
    above: bool = False

    def problem(self, value: float) -> str | None:
        if self.lo is not None and value < self.lo:
            if self.lo == 0:
                return f"must not be negative (got {value})"
            return f"must be at least {_num(self.lo)} (got {value})"
        if self.lo is not None and self.above and value == self.lo:
            return f"must be greater than {_num(self.lo)} (got {value})"
        if self.hi is not None and value > self.hi:
            return f"must be at most {_num(self.hi)} (got {value})"
        return None


@dataclass(frozen=True)
class Text:
    """A string's shape: not empty, and matching ``pattern`` (``meaning`` says what it must be)."""

    pattern: str = r".+"
    meaning: str = "a non-empty string"

    def problem(self, value: str) -> str | None:
        return None if re.fullmatch(self.pattern, value, re.S) else f"must be {self.meaning} (got {_quote(value)!r})"


@dataclass(frozen=True)
class Cidr:
    """An IPv4 / IPv6 address or CIDR block."""

    def problem(self, value: str) -> str | None:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            return f"must be an address or CIDR block (got {_quote(value)!r})"
        return None


@dataclass(frozen=True)
class Keys:
    """The keys a table of data may hold.

    ``open``: the user may add keys (shaped as ``pattern``, ``meaning`` says how); otherwise only the default's
    keys may be given.  ``allowed``: a function returning the only names allowed (and, with ``complete``, all
    required), with ``what`` naming them in a message ("indicator type").
    """

    open: bool = False
    pattern: str = r"[^\x00-\x1f\x7f]+"
    meaning: str = "a name (no control characters)"
    allowed: Callable[[], tuple[str, ...]] | None = None
    complete: bool = False
    what: str = "key"


@dataclass(frozen=True)
class Items:
    """The only values a list's items may take (``allowed()``), named ``what`` in a message."""

    allowed: Callable[[], tuple[str, ...]]
    what: str


# The ranges most settings use.
NonNegInt = Annotated[int, Range(0)]
Count = Annotated[int, Range(1)]
Port = Annotated[int, Range(0, 65535)]
NonNeg = Annotated[float, Range(0)]
Seconds = Annotated[float, Range(0, above=True)]
Fraction = Annotated[float, Range(0, 1)]
Name = Annotated[str, Text()]


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _quote(text: object) -> str:
    """A user's key or value for a one-line message: control characters escaped, at most QUOTE characters."""
    text = re.sub(r"[\x00-\x1f\x7f]", lambda m: repr(m.group())[1:-1], str(text))
    return text if len(text) <= QUOTE else text[:QUOTE] + "..."


def _fail(name: str, problem: str) -> InputError:
    return InputError(f"config: '{name}' {problem}")


@lru_cache(maxsize=None)
def fields_of(cls: type) -> dict[str, Any]:
    """Field name -> its (Annotated) type hint, in declaration order."""
    hints = typing.get_type_hints(cls, include_extras=True)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _split(tp: Any) -> tuple[Any, tuple[Any, ...]]:
    """(the bare type, its constraints) of a possibly Annotated type."""
    if typing.get_origin(tp) is Annotated:
        base, *meta = typing.get_args(tp)
        return base, tuple(meta)
    return tp, ()


def _type_name(tp: Any) -> str:
    base, _ = _split(tp)
    origin = typing.get_origin(base)
    if origin is tuple:
        return "list"
    if origin is FrozenMap or dataclasses.is_dataclass(base):
        return "table"
    return getattr(base, "__name__", str(base))


def build(tp: Any, default: Any, user: Any, name: str) -> Any:
    """The typed value of setting ``name``: ``user`` (MISSING when not given) over ``default`` (MISSING when the
    defaults lack it), checked against ``tp``.  Raises InputError naming the key."""
    base, meta = _split(tp)
    if dataclasses.is_dataclass(base):
        return _section(base, default, user, name)
    if typing.get_origin(base) is FrozenMap:
        return _table(base, meta, default, user, name)
    value = default if user is MISSING else user
    if value is MISSING:
        raise _fail(name, "is missing from the defaults")
    return _value(base, meta, value, name)


def _section(cls: type, default: Any, user: Any, name: str) -> Any:
    prefix = f"{name}." if name else ""
    default = {} if default is MISSING else default
    if user is not MISSING and not isinstance(user, dict):
        raise _fail(name, "must be a table")
    user = {} if user is MISSING else user
    fields = fields_of(cls)
    for key in [*user, *default]:
        if key not in fields:
            raise InputError(f"config: unknown setting '{prefix}{_quote(key)}'")
    return cls(**{key: build(tp, default.get(key, MISSING), user.get(key, MISSING), f"{prefix}{key}")
                  for key, tp in fields.items()})


def _table(base: Any, meta: tuple[Any, ...], default: Any, user: Any, name: str) -> FrozenMap:
    keys = next((m for m in meta if isinstance(m, Keys)), Keys())
    _key_type, value_type = typing.get_args(base)
    default = {} if default is MISSING else default
    if user is not MISSING and not isinstance(user, dict):
        raise _fail(name, "must be a table")
    user = {} if user is MISSING else user
    allowed = set(keys.allowed()) if keys.allowed else None
    for key in user:
        if allowed is not None and key not in allowed:
            raise _fail(name, f"names unknown {keys.what} '{_quote(key)}'")
        if allowed is None and not keys.open and key not in default:
            raise InputError(f"config: unknown setting '{name}.{_quote(key)}'")
        if keys.open and not re.fullmatch(keys.pattern, key):
            raise _fail(name, f"key '{_quote(key)}' is not {keys.meaning}")
    merged = {**default, **user}
    if keys.complete and allowed is not None and allowed - set(merged):
        raise _fail(name, f"has no entry for {keys.what} {min(allowed - set(merged))!r}")
    return FrozenMap({key: build(value_type, MISSING, value, f"{name}.{_quote(key)}") for key, value in merged.items()})


def _value(base: Any, meta: tuple[Any, ...], value: Any, name: str) -> Any:
    if typing.get_origin(base) is tuple:
        return _list(base, meta, value, name)
    if base is bool:
        if not isinstance(value, bool):
            raise _fail(name, f"has the wrong type ({type(value).__name__})")
        return value
    if base in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(name, f"has the wrong type ({type(value).__name__})")
        if isinstance(value, float) and not math.isfinite(value):
            raise _fail(name, f"must be a finite number (got {value})")
        if base is int and isinstance(value, float):
            raise _fail(name, f"must be a whole number (got {value})")
        value = base(value)
        ranges = [m for m in meta if isinstance(m, Range)]
        if not ranges:
            raise TypeError(f"setting {name}: a number needs a Range (conftypes.Range)")
        for rng in ranges:
            problem = rng.problem(value)
            if problem:
                raise _fail(name, problem)
        return value
    if base is str:
        if not isinstance(value, str):
            raise _fail(name, f"has the wrong type ({type(value).__name__})")
        for check in meta:
            problem = check.problem(value)
            if problem:
                raise _fail(name, problem)
        return value
    raise TypeError(f"setting {name}: unsupported type {base!r}")


def _list(base: Any, meta: tuple[Any, ...], value: Any, name: str) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise _fail(name, f"has the wrong type ({type(value).__name__})")
    args = typing.get_args(base)
    if len(args) == 2 and args[1] is Ellipsis:
        item_type = args[0]
        out = tuple(_item(item_type, item, name) for item in value)
    else:  # a fixed-length tuple: (type, code)
        if len(value) != len(args):
            raise _fail(name, f"must hold {len(args)} items (got {len(value)})")
        out = tuple(_item(t, item, name) for t, item in zip(args, value))
    for check in meta:
        if isinstance(check, Items):
            allowed = set(check.allowed())
            unknown = [v for v in out if v not in allowed]
            if unknown:
                raise _fail(name, f"names unknown {check.what} '{_quote(unknown[0])}'")
    return out


def _item(item_type: Any, item: Any, name: str) -> Any:
    base, meta = _split(item_type)
    expected = _type_name(item_type)
    if typing.get_origin(base) is tuple:
        if not isinstance(item, list):
            raise _fail(name, f"holds a {type(item).__name__} where a list of {expected}s is expected")
        return _list(base, meta, item, name)
    ok = (type(item) is base) or (base is float and type(item) is int)
    if not ok:
        raise _fail(name, f"holds a {type(item).__name__} where a list of {expected} is expected")
    try:
        return _value(base, meta, item, name)
    except InputError as exc:  # "'x' must not be negative" -> "'x' item must not be negative"
        raise InputError(str(exc).replace(f"'{name}' ", f"'{name}' item ", 1)) from None


def plain(value: Any) -> Any:
    """A typed config (or part of one) as the plain TOML-shaped data it was built from (tables, lists)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value


__all__ = ["FrozenMap", "Range", "Text", "Cidr", "Keys", "Items", "NonNegInt", "Count", "Port", "NonNeg", "Seconds",
           "Fraction", "Name", "build", "plain", "fields_of", "MISSING"]
