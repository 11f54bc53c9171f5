"""report.json's text in one walk: the values are made plain (``json_report.plain``) and encoded as they are met,
byte for byte what ``json.dumps(plain(value), indent=2, allow_nan=False)`` writes, without building the plain copy
of the tree first and without the pure-Python generator chain ``json`` falls back to when it indents.

``chunks`` yields the text piece by piece (one piece per element of the top-level lists), so a large report is
written as it is made.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from json.encoder import encode_basestring_ascii
from typing import Any

INDENT = 2
_float_repr = float.__repr__
_int_repr = int.__repr__
_isfinite = math.isfinite
_STR = {str}


def _scalar(value: Any) -> str | None:
    """The JSON text of a plain scalar (str, int, float, bool, None); None for anything else."""
    kind = type(value)
    if kind is str:
        return encode_basestring_ascii(value)
    if kind is int:
        return _int_repr(value)
    if kind is float:
        return _float_repr(value) if _isfinite(value) else "null"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return None


def _write(value: Any, level: int, out: list[str], plain: Callable[[Any], Any]) -> None:
    """Append the text of ``value`` (at nesting ``level``) to ``out``."""
    text = _scalar(value)
    if text is not None:
        out.append(text)
    elif isinstance(value, dict):
        if not set(map(type, value)) <= _STR:  # plain's key rules for other keys: str(k), the last of equal ones wins
            value = {str(k): v for k, v in value.items()}
        _members([encode_basestring_ascii(k) + ": " for k in value], list(value.values()), "{}", level, out, plain)
    elif isinstance(value, (list, tuple)):
        _members(None, value, "[]", level, out, plain)
    else:  # anything else (sets, bytes, numpy scalars, subclasses of str/int/float, objects): plain's own rules
        made = plain(value)
        if made is value:  # a subclass of str / int / float that plain keeps: encoded as json encodes it
            out.append(_subclass(value))
        else:
            _write(made, level, out, plain)


def _members(heads: list[str] | None, items: Any, brackets: str, level: int, out: list[str],
             plain: Callable[[Any], Any]) -> None:
    """A container's members, one per line at ``level + 1``; ``heads`` are the dict members' ``"key": ``."""
    if not items:
        out.append(brackets)
        return
    pad = "\n" + " " * (INDENT * (level + 1))
    close = "\n" + " " * (INDENT * level) + brackets[1]
    texts = list(map(_scalar, items))
    if None not in texts:  # a leaf (only scalars inside): one join
        out.append(brackets[0] + pad + ("," + pad).join(texts if heads is None else map(str.__add__, heads, texts))
                   + close)
        return
    sep = brackets[0] + pad
    for k, item in enumerate(items):
        out.append(sep if heads is None else sep + heads[k])
        text = texts[k]
        if text is not None:
            out.append(text)
        else:
            _write(item, level + 1, out, plain)
        sep = "," + pad
    out.append(close)


def _subclass(value: Any) -> str:
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    if isinstance(value, int):
        return _int_repr(value)
    return _float_repr(value) if _isfinite(value) else "null"


def dumps(value: Any, plain: Callable[[Any], Any]) -> str:
    """``json.dumps(plain(value), indent=2, allow_nan=False)``, in one walk."""
    out: list[str] = []
    _write(value, 0, out, plain)
    return "".join(out)


class Lazy(Sequence[Any]):
    """A list whose items are made as they are read: ``chunks`` writes each as it is made, so only one is alive at a
    time (report.json's hosts, each with its evidence flows)."""

    def __init__(self, count: int, make: Callable[[int], Any]) -> None:
        self._count, self._make = count, make

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, k):  # type: ignore[no-untyped-def]
        if isinstance(k, slice):
            return [self._make(i) for i in range(self._count)[k]]
        if not -self._count <= k < self._count:
            raise IndexError(k)
        return self._make(k % self._count)

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (Lazy, list)) else NotImplemented

    __hash__ = None  # type: ignore[assignment]


def chunks(doc: dict[str, Any], plain: Callable[[Any], Any]) -> Iterator[str]:
    """The text of ``doc`` (a dict; see ``dumps``) and a newline, in pieces: one per element of a top-level list."""
    if not set(map(type, doc)) <= _STR:
        doc = {str(k): v for k, v in doc.items()}
    if not doc:
        yield "{}\n"
        return
    pad = "\n" + " " * INDENT
    sep = "{" + pad
    for key, value in doc.items():
        head = sep + encode_basestring_ascii(key) + ": "
        sep = "," + pad
        if isinstance(value, (list, tuple, Lazy)) and value:
            inner = pad + " " * INDENT
            for k, item in enumerate(value):
                out = [head + "[" + inner if k == 0 else "," + inner]
                _write(item, 2, out, plain)
                yield "".join(out)
            yield pad + "]"
        else:
            out = [head]
            _write(value, 1, out, plain)
            yield "".join(out)
    yield "\n}\n"
