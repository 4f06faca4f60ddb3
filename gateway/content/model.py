"""A content version's body: the hand-written flow files and the catalogue, as plain data.

Operators write YAML; the store keeps the same data as canonical JSON, so a version exported back to
YAML and published again has the same digest (nothing changed), and two workers serving "version 7"
serve byte-for-byte the same menus.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from flows.errors import FlowError, FlowErrors
from flows.loader import load_yaml
from gateway.catalogue import Catalogue
from gateway.settings import Settings

FLOWS_DIR = "flows"
CATALOGUE_FILE = "catalogue.yaml"
"""Where `export` writes a version (the layout of config/), and where `--from DIR` reads one."""


def _plain(data: Any, file: str, errors: list[FlowError]) -> Any:
    """`data` as JSON gives it back: YAML's integer keys become strings, and a value JSON cannot hold
    (a YAML date, a set) is an error, so what is stored is exactly what is served."""
    try:
        return json.loads(json.dumps(data, ensure_ascii=False))
    except (TypeError, ValueError) as exc:
        errors.append(FlowError(file, None, f"holds a value that is not text, a number, a list or a mapping ({exc})",
                                "quote dates and other special values"))
        return None


@dataclass(frozen=True)
class Content:
    """The flows (file name → its YAML data) and the catalogue's YAML data of one version."""

    flows: Mapping[str, Any]
    catalogue: Mapping[str, Any]
    labels: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    """What errors call each file (its path on disk, or `version 7: flows/main.yaml`); "" is the catalogue."""

    def label(self, name: str) -> str:
        """The name errors give the flow file `name` ("" for the catalogue)."""
        return self.labels.get(name) or (f"{FLOWS_DIR}/{name}" if name else CATALOGUE_FILE)

    def canonical(self) -> str:
        """The stored form: compact JSON in the operators' own order (a flow's first node is its start)."""
        body = {"flows": {name: self.flows[name] for name in sorted(self.flows)}, "catalogue": self.catalogue}
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

    @property
    def digest(self) -> str:
        """SHA-256 of the canonical form: equal digests, equal content."""
        return hashlib.sha256(self.canonical().encode()).hexdigest()

    @classmethod
    def from_canonical(cls, text: str, origin: str) -> Content:
        """Inverse of `canonical`; errors name files as `origin: flows/main.yaml`."""
        body = json.loads(text)
        labels = {name: f"{origin}: {FLOWS_DIR}/{name}" for name in body["flows"]}
        return cls(flows=body["flows"], catalogue=body["catalogue"], labels={**labels, "": f"{origin}: {CATALOGUE_FILE}"})

    def with_catalogue(self, catalogue: Catalogue) -> Content:
        """The same flows with another catalogue (an API edit of a card)."""
        return Content(self.flows, catalogue.to_data(), self.labels)

    def write(self, folder: Path) -> list[Path]:
        """Write as YAML in the config layout (flows/*.yaml, catalogue.yaml); the files written."""
        (folder / FLOWS_DIR).mkdir(parents=True, exist_ok=True)
        written = []
        for name, data in sorted(self.flows.items()):
            written.append(_write_yaml(folder / FLOWS_DIR / name, data))
        written.append(_write_yaml(folder / CATALOGUE_FILE, self.catalogue))
        return written


def _write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml_text(data), encoding="utf-8")
    return path


class _Dumper(yaml.SafeDumper):
    """Writes a text of several lines as a block (`|`), one line of YAML per line of text, rather than
    quoted with doubled line breaks, which operators misread (PyYAML quotes it still where a block
    cannot hold it exactly: trailing spaces)."""


_Dumper.add_representer(str, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None))


def yaml_text(data: Any) -> str:
    """A file's data as the YAML an operator edits (what `export` writes; the console's editor shows it)."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def yaml_data(text: str, file: str, errors: list[FlowError]) -> Any:
    """YAML text as the data a version stores (see `_plain`); problems go to `errors`, naming `file`."""
    return _plain(load_yaml(text, file, errors), file, errors)


def _read_yaml(path: Path, errors: list[FlowError], what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(FlowError(str(path), None, f"cannot read the {what}: {getattr(exc, 'strerror', None) or exc}"))
        return None
    return yaml_data(text, str(path), errors)


def flow_files(folder: Path) -> list[Path]:
    """The YAML files of a flow directory, in a stable order."""
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def read_content(flow_dir: Path | None, catalogue_file: Path) -> Content:
    """The flows (none without `flow_dir`) and catalogue YAML as written on disk, not yet checked;
    FlowErrors for files that cannot be read at all."""
    errors: list[FlowError] = []
    if flow_dir is not None and not flow_dir.is_dir():
        errors.append(FlowError(str(flow_dir), None, "is not a directory of flow files"))
    paths = flow_files(flow_dir) if flow_dir is not None and flow_dir.is_dir() else []
    flows = {path.name: _read_yaml(path, errors, "flow") for path in paths}
    catalogue = _read_yaml(catalogue_file, errors, "catalogue")
    if errors:
        raise FlowErrors(errors)
    labels = {path.name: str(path) for path in paths}
    return Content(flows=flows, catalogue=catalogue, labels={**labels, "": str(catalogue_file)})


def configured_content(settings: Settings, folder: Path | None = None) -> Content:
    """The YAML an operator edits: the configured flows and catalogue, or a draft/exported `folder`."""
    if folder is not None:
        return read_content(folder / FLOWS_DIR, folder / CATALOGUE_FILE)
    return read_content(settings.path(settings.flows.dir), settings.path(settings.catalogue.file))


@dataclass(frozen=True)
class Version:
    """One published version's record: who made it, when, why."""

    number: int
    digest: str
    author: str
    created_at: float
    note: str
    live: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        return {"version": self.number, "digest": self.digest, "author": self.author, "created_at": self.created_at,
                "note": self.note, "live": self.live}
