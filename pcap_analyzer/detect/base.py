"""The one interface every detector implements, and the context they all read."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..config import Config
from ..homenet import HomeNet
from ..model import Flow, Indicator


@dataclass
class DetectContext:
    flows: list[Flow]
    home: HomeNet
    cfg: Config
    intel: Any = None  # intel.Intel | None
    extra: dict[str, Any] = field(default_factory=dict)  # shared indexes a detector builds once (e.g. DNS by host)


class Detector(Protocol):
    #: the indicator type it emits (model.INDICATOR_TYPES)
    name: str

    def run(self, ctx: DetectContext) -> list[Indicator]: ...
