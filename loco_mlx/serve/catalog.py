"""Which model a request names: the base, an active registry adapter, or "auto" (the router)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from loco_mlx.errors import LocoError
from loco_mlx.inference.engine import Engine
from loco_mlx.serve.errors import ApiError, shown
from loco_mlx.serve.schema import ModelCard

MODEL_ID_RE = re.compile(r"[a-z][a-z0-9_-]{0,63}")
BASE_ALIASES = ("base", "none")
AUTO = "auto"


@dataclass
class Target:
    kind: Literal["base", "adapter", "auto"]
    name: str | None = None  # the adapter (kind "adapter")
    paths: dict[str, Path] = field(default_factory=dict)  # adapters it may switch to


def looks_like_path(model: str) -> bool:
    return "/" in model or "\\" in model or model.startswith((".", "~"))


class Catalog:
    """The models a request may name. Adapters come from the registry at each request, so a
    promotion or deactivation shows without a restart; only active ones bound to this base."""

    def __init__(self, engine: Engine, registry_path: Path | None):
        self.engine = engine
        self.registry_path = registry_path
        self.base_id = engine.base.record.id
        self.fingerprint = engine.base.record.fingerprint

    def entries(self) -> list:
        """The registry entries a request may name: active and bound to this base."""
        from loco_mlx.adapters.registry import Registry

        try:
            entries = Registry(self.registry_path).entries()
        except LocoError as exc:
            raise ApiError(500, f"the adapter registry is unreadable: {exc}", code="registry_error") from None
        return [e for e in entries if e.active and e.base_fingerprint == self.fingerprint]

    def adapters(self) -> dict[str, Path]:
        return {e.name: Path(e.path) for e in self.entries()}

    def cards(self) -> list[ModelCard]:
        cards = [ModelCard(id=self.base_id, loco={"kind": "base", "backend": self.engine.backend_name})]
        for entry in sorted(self.entries(), key=lambda e: e.name):
            gate = entry.gate
            about = {"kind": "adapter", "domain": entry.domain, "tool": entry.tool, "verdict": gate.verdict,
                     "score": gate.score, "base_score": gate.base_score}  # fmt: skip
            cards.append(ModelCard(id=entry.name, parent=self.base_id, loco=about))
        if self.engine.router is not None:
            cards.append(ModelCard(id=AUTO, parent=self.base_id, loco={"kind": "auto"}))
        return cards

    def resolve(self, model: str) -> Target:
        if looks_like_path(model):
            raise ApiError(
                400, f"model {shown(model)} looks like a path; name a model from /v1/models", "model", "invalid_model"
            )
        if model in BASE_ALIASES or model == self.base_id:
            return Target("base")
        if model == AUTO:
            if self.engine.router is None:
                raise ApiError(
                    404, "model 'auto' is not available: this server has no router", "model", "model_not_found"
                )
            return Target("auto", paths=self.adapters())
        if not MODEL_ID_RE.fullmatch(model):
            raise ApiError(
                400,
                f"invalid model id {shown(model)}: a lowercase letter, then lowercase letters, digits, '_' or '-'",
                "model",
                "invalid_model",
            )
        adapters = self.adapters()
        if model not in adapters:
            known = ", ".join([self.base_id, *sorted(adapters)])
            raise ApiError(404, f"model {model!r} not found (available: {known})", "model", "model_not_found")
        return Target("adapter", model, {model: adapters[model]})
