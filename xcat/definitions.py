"""Catalog definitions: one TOML file per catalog kind under ``ingest/``.

Adding a catalog kind is one new file there (plus tests): its key, position
columns, per-detection columns, positional-error columns, assumed units and
descriptions.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field

from xcat import paths
from xcat.errors import XcatError


@dataclass(frozen=True)
class CatalogDefinition:
    """What xcat knows about one kind of catalog (see ``ingest/<kind>.toml``)."""

    kind: str
    title: str
    default_name: str = ""
    key: str = ""
    ra: str = ""
    dec: str = ""
    detections: bool = False
    detection_columns: tuple[str, ...] = ()
    position_errors: tuple[str, ...] = ()
    units: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    computed: dict[str, str] = field(default_factory=dict)
    xray: dict[str, object] = field(default_factory=dict)

    def assumed_unit(self, column: str) -> str | None:
        """Unit assumed for ``column`` when the input declares none (first glob wins)."""
        for pattern, unit in self.units.items():
            if fnmatch.fnmatchcase(column, pattern):
                return unit
        return None

    def is_detection_column(self, column: str) -> bool:
        """Whether ``column`` belongs to a stack/observation rather than the source."""
        return any(fnmatch.fnmatchcase(column, p) for p in self.detection_columns)


def load_definition(kind: str) -> CatalogDefinition:
    """Load ``ingest/<kind>.toml``.

    Examples
    --------
    >>> load_definition("csc").key
    'name'

    """
    path = paths.ingest_dir() / f"{kind}.toml"
    if not path.exists():
        known = sorted(p.stem for p in paths.ingest_dir().glob("*.toml"))
        raise XcatError(f"no catalog definition '{kind}' (known: {', '.join(known)})")
    data = tomllib.loads(path.read_text())
    data["detection_columns"] = tuple(data.get("detection_columns", ()))
    data["position_errors"] = tuple(data.get("position_errors", ()))
    return CatalogDefinition(**data)
