"""The adapter registry: `registry.yaml`, the index of adapters, and the store of installed copies.

The file is `$LOCO_HOME/adapters/registry.yaml` unless LOCO_REGISTRY or an explicit path says
otherwise. `add` registers an adapter directory where it is; `install` copies one (a local
directory or a Hugging Face repo) into the store beside the file, `<registry dir>/<name>/<version>/`.
Both check the files (safetensors that parse and are complete, LoRA pairs whose shapes fit the
base) and that the adapter's base fingerprint belongs to an imported base.

Layout: human-readable YAML, entries sorted by name, one entry per name:

    format: 1
    adapters:
    - name: math                     # ^[a-z][a-z0-9_-]{0,63}$
      version: 0.1.0                 # semver MAJOR.MINOR.PATCH
      active: false                  # promoted: only with gate verdict SHIP (or --force)
      description: ''
      domain: math
      tags:
      - arithmetic
      keywords:                      # router keywords -> weight; a plain list means 1.0 each
        sum: 2.0
        plus: 1.0
      base_id: smollm2-135m-instruct
      base_fingerprint: 3f2a9c...    # SHA-256 of the base it was trained on (loco base list)
      tool: python                   # from its manifest: replies are programs the engine runs (else absent)
      path: /home/me/.loco_mlx/adapters/math/0.1.0
      gate:                          # set by the evaluation harness
        score: null
        base_score: null
        benchmark_sha256: null
        verdict: null                # SHIP | ITERATE | REJECT
      created: '2026-11-29T10:00:00+00:00'

Writes hold an exclusive lock on `registry.yaml.lock` for the whole read-modify-write
(`fcntl.flock`, or an O_EXCL lock file where there is no fcntl), copy the previous good file to
`registry.yaml.bak`, then rename the new one into place. A file that does not parse or validate
is never overwritten: every write reads it first and stops with an error pointing at the backup.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import math
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import yaml

from loco_mlx.adapters.directory import (
    MANIFEST,
    AdapterManifest,
    check_adapter_files,
    check_base_binding,
    check_tool,
    read_adapter_dir,
)
from loco_mlx.bases.resolve import HF_REPO_RE, hf_snapshot
from loco_mlx.bases.store import BaseRecord, BaseStore, loco_home
from loco_mlx.errors import LocoError
from loco_mlx.files import move_directory, temp_directory, write_atomic

try:
    import fcntl
except ImportError:  # Windows: fall back to an O_EXCL lock file
    fcntl = None

FORMAT = 1
NAME_RE = re.compile(r"[a-z][a-z0-9_-]{0,63}")
SEMVER_RE = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
VERDICTS = ("SHIP", "ITERATE", "REJECT")
LOCK_TIMEOUT_S = 10.0
DEFAULT_VERSION = "0.1.0"
_MLX_LM_CHECKPOINT = re.compile(r"[0-9]+_adapters\.safetensors")  # mlx_lm.lora's periodic saves
_META = ("description", "domain", "tags", "keywords")  # kept from the old entry on --replace unless given


@dataclass
class GateSummary:
    score: float | None = None
    base_score: float | None = None
    benchmark_sha256: str | None = None
    verdict: str | None = None  # SHIP | ITERATE | REJECT


@dataclass
class AdapterEntry:
    name: str
    version: str
    path: str
    base_id: str
    base_fingerprint: str
    description: str = ""
    domain: str = ""
    tags: list[str] = field(default_factory=list)
    keywords: dict[str, float] = field(default_factory=dict)  # router keyword -> weight
    gate: GateSummary = field(default_factory=GateSummary)
    active: bool = False
    created: str = ""
    tool: str | None = None  # the manifest's declared tool: replies are programs (inference/tools.py)

    @property
    def short_fingerprint(self) -> str:
        return self.base_fingerprint[:12]


def check_name(name: str, origin: str = "") -> str:
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise LocoError(
            f"invalid adapter name {name!r}{origin}: use a lowercase letter, then lowercase letters, digits, "
            "'_' or '-' (at most 64), e.g. 'math' or 'sql-v2'"
        )
    return name


def version_key(version: str) -> tuple[int, int, int]:
    match = SEMVER_RE.fullmatch(version) if isinstance(version, str) else None
    if match is None:
        raise LocoError(f"invalid adapter version {version!r}: use semver MAJOR.MINOR.PATCH, e.g. 0.1.0")
    return tuple(int(part) for part in match.groups())


def next_version(name: str, registry: Registry | None = None) -> str:
    """The version a newly trained adapter `name` gets: one minor above the registered one (a retraining must
    be able to replace it), else 0.1.0."""
    try:
        major, minor, _ = version_key((registry or Registry()).get(name).version)
    except LocoError:
        return DEFAULT_VERSION  # not registered, or no readable registry: a first version
    return f"{major}.{minor + 1}.0"


class Registry:
    def __init__(self, path: Path | None = None, bases: BaseStore | None = None, lock_timeout: float = LOCK_TIMEOUT_S):
        default = os.environ.get("LOCO_REGISTRY") or loco_home() / "adapters" / "registry.yaml"
        self.path = Path(path or default).expanduser().absolute()  # entries' relative paths hang off it
        self.root = self.path.parent  # installed copies live in <root>/<name>/<version>
        self.backup = self.path.with_name(self.path.name + ".bak")
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.bases = bases or BaseStore()
        self.lock_timeout = lock_timeout

    # Reading

    def entries(self) -> list[AdapterEntry]:
        return self._load()[0]

    def get(self, name: str) -> AdapterEntry:
        return _find(self.entries(), name)

    def owns(self, entry: AdapterEntry) -> bool:
        """Were this entry's files copied in by `install` (so `remove` deletes them)?"""
        return Path(entry.path) == self.root / entry.name / entry.version

    # Registering

    def add(
        self,
        adapter_dir: str | Path,
        name: str | None = None,
        version: str | None = None,
        *,
        description: str | None = None,
        domain: str | None = None,
        tags: list[str] | None = None,
        keywords: dict[str, float] | list[str] | None = None,
        base: BaseRecord | str | None = None,
        replace: bool = False,
    ) -> AdapterEntry:
        """Register an adapter directory in place.

        `base` (a BaseRecord or an imported base id) names the base an adapter without a loco
        manifest (e.g. from `mlx_lm.lora`) was trained on; with a manifest it must agree with it.
        With replace=True a higher version takes the place of the registered one; description,
        domain, tags and keywords not given are kept, the gate and the active flag start over.
        """
        directory, config, manifest = read_adapter_dir(adapter_dir)
        meta = dict(description=description, domain=domain, tags=tags, keywords=keywords)
        entry, record = self._describe(
            directory.resolve(), directory.resolve().name, manifest, name=name, version=version, base=base, meta=meta
        )
        check_adapter_files(directory, config, record)
        self._drop_replaced(self._update(lambda entries: _put(entries, entry, replace, meta)), entry)
        return entry

    def install(
        self,
        source: str,
        name: str | None = None,
        version: str | None = None,
        *,
        description: str | None = None,
        domain: str | None = None,
        tags: list[str] | None = None,
        keywords: dict[str, float] | list[str] | None = None,
        base: BaseRecord | str | None = None,
        replace: bool = False,
    ) -> AdapterEntry:
        """Copy an adapter (local directory or Hugging Face repo id) into the store and register it."""
        located, default_name = _locate(source)
        directory, _, manifest = read_adapter_dir(located)
        meta = dict(description=description, domain=domain, tags=tags, keywords=keywords)
        entry, record = self._describe(
            directory, default_name, manifest, name=name, version=version, base=base, meta=meta
        )
        _put([*self.entries()], entry, replace, meta)  # fail before copying; checked again under the lock
        target = self.root / entry.name / entry.version
        entry.path = str(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with temp_directory(target, prefix=".install-") as staging:
                # Top-level files only: not checkpoints/ (optimizer state), not mlx_lm.lora's periodic saves.
                for file in sorted(directory.iterdir()):
                    if file.is_file() and not file.name.startswith(".") and not _MLX_LM_CHECKPOINT.fullmatch(file.name):
                        shutil.copyfile(file, staging / file.name)
                _, config, _ = read_adapter_dir(staging)
                check_adapter_files(staging, config, record)  # check the copy: what gets used
                with self._locked():
                    entries, text = self._load()
                    old = _put(entries, entry, replace, meta)
                    # replace: a target left by an install that died before writing the registry
                    move_directory(staging, target, replace=True)
                    try:
                        self._save(entries, text)
                    except BaseException:
                        shutil.rmtree(target, ignore_errors=True)
                        raise
        finally:
            with contextlib.suppress(OSError):
                target.parent.rmdir()  # a failed first install leaves no empty <name>/ behind
        self._drop_replaced(old, entry)
        return entry

    def _drop_replaced(self, old: AdapterEntry | None, new: AdapterEntry) -> None:
        """After a replace: delete the old version's installed copy (never files added in place)."""
        if old is not None and self.owns(old) and old.path != new.path:
            shutil.rmtree(old.path, ignore_errors=True)

    def remove(self, name: str) -> AdapterEntry:
        """Drop the entry; delete its files only when `install` copied them into the store."""
        entry = self._update(lambda entries: entries.pop(entries.index(_find(entries, name))))
        if self.owns(entry):
            shutil.rmtree(entry.path, ignore_errors=True)
            with contextlib.suppress(OSError):
                (self.root / entry.name).rmdir()  # only if no other version or leftover is there
        return entry

    # Status

    def promote(self, name: str, force: bool = False) -> AdapterEntry:
        """Mark active. Only a gate verdict of SHIP is promoted, unless force (the CLI says so)."""

        def change(entries):
            entry = _find(entries, name)
            if entry.gate.verdict != "SHIP" and not force:
                verdict = entry.gate.verdict or "missing (not evaluated yet)"
                raise LocoError(
                    f"adapter '{name}' is not promoted: its gate verdict is {verdict}, and only SHIP is; "
                    "evaluate it against the base, or pass --force to promote it anyway"
                )
            if not Path(entry.path).is_dir():
                raise LocoError(f"adapter '{name}': its files are gone from {entry.path}; remove it or add it again")
            entry.active = True
            return entry

        return self._update(change)

    def deactivate(self, name: str) -> AdapterEntry:
        return self._update(lambda entries: _set(_find(entries, name), active=False))

    def set_gate(self, name: str, gate: GateSummary) -> AdapterEntry:
        """Record an evaluation result (the gate); does not change the active flag."""
        try:
            gate = _gate(asdict(gate), "gate")
        except _Problem as exc:
            raise LocoError(str(exc)) from None
        return self._update(lambda entries: _set(_find(entries, name), gate=gate))

    # Internals

    def _describe(
        self, directory, default_name, manifest, *, name, version, base, meta
    ) -> tuple[AdapterEntry, BaseRecord]:
        manifest_name = manifest.name if manifest else None
        origin = ""
        if name is None:
            origin = f" (from {MANIFEST}; pass --name)" if manifest_name else " (the directory's name; pass --name)"
            name = manifest_name or default_name
        check_name(name, origin)
        if version is None:
            version = (manifest.version if manifest else None) or DEFAULT_VERSION
        version_key(version)
        record = self._bind_base(directory, manifest, base)
        given = {k: v for k, v in meta.items() if v is not None}
        binding = {"base_id": record.id, "base_fingerprint": record.fingerprint}
        try:  # the same checks as a registry file gets: tags, keywords, ...
            checked = _parse_entry(
                {"name": name, "version": version, "path": str(directory), **binding, **given}, "adapter"
            )
        except _Problem as exc:
            raise LocoError(str(exc)) from None
        checked.created = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        checked.tool = manifest.tool if manifest else None
        return checked, record

    def _bind_base(self, directory: Path, manifest: AdapterManifest | None, base) -> BaseRecord:
        record = self._base_named(base) if isinstance(base, str) else base
        imported = ", ".join(f"{r.id} {r.short_fingerprint}" for r in self.bases.list()) or "none"
        bound = manifest.base if manifest else None
        trained_on = bound.fingerprint if bound else None
        if not trained_on:
            if record is None:
                why = f"has no {MANIFEST} (trained by mlx_lm.lora?)" if manifest is None else f"{MANIFEST} names none"
                raise LocoError(
                    f"{directory} {why}, so the base it was trained on is unknown: "
                    f"name it with --base ID (imported: {imported})"
                )
            return record
        if record is not None:
            check_base_binding(directory, manifest, record)
            return record
        matches = [r for r in self.bases.list() if r.fingerprint == trained_on]
        if not matches:
            raise LocoError(
                f"adapter in {directory} was trained on base {trained_on[:12]}… ({bound.id or '?'}), "
                f"which is not an imported base (imported: {imported}); import it first: "
                f"loco base import {bound.source or 'SPEC'}"
            )
        return next((r for r in matches if r.id == bound.id), matches[0])

    def _base_named(self, base: str) -> BaseRecord:
        """--base ID: a stored base; the embedded default is imported on first use, as everywhere."""
        from loco_mlx.bases.resolve import EMBEDDED_DEFAULT_ID, resolve_base

        if base in ("default", EMBEDDED_DEFAULT_ID) and self.bases.find(EMBEDDED_DEFAULT_ID) is None:
            return resolve_base(base, self.bases)
        return self.bases.get(base)

    def _update(self, change):
        """Read, change and write the registry under the lock; `change` mutates the list in place."""
        with self._locked():
            entries, text = self._load()
            result = change(entries)
            self._save(entries, text)
            return result

    def _load(self) -> tuple[list[AdapterEntry], str | None]:
        if not self.path.exists():
            return [], None
        try:
            text = self.path.read_text(encoding="utf-8")
            entries = _parse_registry(yaml.safe_load(text))
        except UnicodeDecodeError:
            raise self._broken("not UTF-8 text") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise self._broken(f"not valid YAML: {where}{problem}") from None
        except _Problem as exc:
            raise self._broken(str(exc)) from None
        for entry in entries:  # a relative path is relative to the registry's own directory
            entry.path = str(self.root / entry.path) if not Path(entry.path).is_absolute() else entry.path
        return entries, text

    def _broken(self, problem: str) -> LocoError:
        if self.backup.is_file():
            fix = (
                f"{self.backup} holds the registry as it was before the last change: restore it with "
                f"`cp {self.backup} {self.path}`, or fix the file by hand"
            )
        else:
            fix = f"there is no backup ({self.backup}): fix the file by hand"
        return LocoError(f"adapter registry {self.path} is broken ({problem}); it was left as it is. {fix}")

    def _save(self, entries: list[AdapterEntry], previous_text: str | None) -> None:
        if previous_text is not None:
            write_atomic(self.backup, previous_text)
        data = {"format": FORMAT, "adapters": [_to_yaml(e, self.root) for e in sorted(entries, key=lambda e: e.name)]}
        header = "# loco adapter registry: change it with `loco adapters ...` (see loco_mlx/adapters/registry.py)\n"
        write_atomic(self.path, header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120))

    @contextlib.contextmanager
    def _locked(self):
        self.root.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout
        if fcntl is not None:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        self._wait(deadline, stale_hint=False)
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                yield
            finally:
                os.close(fd)  # releases the flock; the file stays (unlinking it would race)
            return
        while True:
            try:
                fd = os.open(self.lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                break
            except FileExistsError:
                self._wait(deadline, stale_hint=True)
        try:
            os.write(fd, f"{os.getpid()}\n".encode())
            os.close(fd)
            yield
        finally:
            self.lock_path.unlink(missing_ok=True)

    def _wait(self, deadline: float, stale_hint: bool) -> None:
        if time.monotonic() < deadline:
            time.sleep(0.05)
            return
        try:
            holder = self.lock_path.read_text().strip() or "?"
        except OSError:
            holder = "?"
        stale = f"; if no loco command is running, delete {self.lock_path}" if stale_hint else ""
        raise LocoError(
            f"registry is locked by another process (pid {holder}) and stayed locked for {self.lock_timeout:g} s: "
            f"{self.path} was not changed; try again when that command finishes{stale}"
        )


def available_adapters(
    base_record, adapter_dirs: list[str] | tuple = (), registry: Registry | None = None
) -> dict[str, Path]:
    """Adapters this base can switch to: those of `registry` bound to its fingerprint, then
    every adapter subdirectory of `adapter_dirs` (named after the subdirectory)."""
    found: dict[str, Path] = {}
    for entry in registry.entries() if registry is not None else ():
        if entry.base_fingerprint == base_record.fingerprint:
            found[entry.name] = Path(entry.path)
    for directory in adapter_dirs:
        for sub in sorted(Path(directory).expanduser().glob("*/adapters.safetensors")):
            found.setdefault(sub.parent.name, sub.parent)
    return found


def _find(entries: list[AdapterEntry], name: str) -> AdapterEntry:
    for entry in entries:
        if entry.name == name:
            return entry
    names = [e.name for e in entries]
    close = difflib.get_close_matches(str(name), names, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    known = ", ".join(names) or "none yet: `loco adapters add DIR` or `loco adapters install SRC`"
    raise LocoError(f"no adapter '{name}' in the registry (registered: {known}){hint}")


def _put(entries: list[AdapterEntry], entry: AdapterEntry, replace: bool, meta: dict) -> AdapterEntry | None:
    """Insert `entry`, or replace the entry of that name; return the replaced one."""
    old = next((e for e in entries if e.name == entry.name), None)
    if old is None:
        entries.append(entry)
        return None
    if not replace:
        raise LocoError(
            f"adapter '{entry.name}' is already registered (version {old.version}, {old.path}); "
            f"pass --replace with a version higher than {old.version} to put this one in its place"
        )
    if version_key(entry.version) <= version_key(old.version):
        raise LocoError(
            f"adapter '{entry.name}' {entry.version} cannot replace the registered {old.version}: "
            "a replacement needs a higher version (--version)"
        )
    for key in _META:
        if meta.get(key) is None:
            setattr(entry, key, getattr(old, key))
    entries[entries.index(old)] = entry
    return old


def _set(entry: AdapterEntry, **changes) -> AdapterEntry:
    for key, value in changes.items():
        setattr(entry, key, value)
    return entry


def _locate(source: str) -> tuple[Path, str]:
    """(local directory, default adapter name) for a directory or a Hugging Face repo id."""
    path = Path(source).expanduser()
    if path.exists():
        return path, path.resolve().name
    looks_like_path = source.startswith((".", "/", "~")) or source.count("/") != 1
    if HF_REPO_RE.match(source) and not looks_like_path:
        return hf_snapshot(source), source.split("/")[-1]
    raise LocoError(f"no adapter directory at {source}, and it is not a Hugging Face repo id (owner/name)")


# YAML <-> entries. A _Problem names what is wrong; Registry._broken adds the file and the backup.


class _Problem(ValueError):
    pass


_ENTRY_KEYS = [f.name for f in fields(AdapterEntry)]
_REQUIRED = ("name", "version", "path", "base_id", "base_fingerprint")


def _to_yaml(entry: AdapterEntry, root: Path) -> dict:
    data = asdict(entry)
    # inside the registry's directory, paths are kept relative: a registry committed with its adapters
    # (as the repository's adapters/ is) works wherever it is checked out
    path = Path(entry.path).absolute()
    if path.resolve().is_relative_to(root.resolve()):
        data["path"] = path.resolve().relative_to(root.resolve()).as_posix()
    if all(weight == 1.0 for weight in entry.keywords.values()):
        data["keywords"] = list(entry.keywords)  # the short form when no weight is set
    order = ["name", "version", "active", "description", "domain", "tags", "keywords", "base_id", "base_fingerprint"]
    if entry.tool is None:
        del data["tool"]  # text adapters keep the entries they always had
    return {key: data[key] for key in order + [k for k in _ENTRY_KEYS if k not in order and k in data]}


def _parse_registry(data) -> list[AdapterEntry]:
    if data is None:
        raise _Problem("the file is empty")
    if not isinstance(data, dict) or "adapters" not in data:
        raise _Problem(f"expected a mapping with an 'adapters' list at the top, got {type(data).__name__}")
    unknown = sorted(set(data) - {"format", "adapters"})
    if unknown:
        raise _Problem(f"unknown top-level key '{unknown[0]}' (known: format, adapters)")
    if data.get("format", FORMAT) != FORMAT:
        raise _Problem(f"format {data['format']!r} is not one this loco reads ({FORMAT})")
    raw = data["adapters"] or []
    if not isinstance(raw, list):
        raise _Problem(f"'adapters' must be a list of entries, got {type(raw).__name__}")
    entries = [_parse_entry(item, f"adapters[{i}]") for i, item in enumerate(raw)]
    seen = set()
    for entry in entries:
        if entry.name in seen:
            raise _Problem(f"adapter '{entry.name}' is listed twice")
        seen.add(entry.name)
    return entries


def _parse_entry(raw, where: str) -> AdapterEntry:
    if not isinstance(raw, dict):
        raise _Problem(f"{where} must be a mapping of fields, got {raw!r}")
    where = f"{where} ({raw['name']})" if isinstance(raw.get("name"), str) and where else where
    for key in raw:
        if key not in _ENTRY_KEYS:
            raise _Problem(f"{where}: unknown key '{key}' (known: {', '.join(_ENTRY_KEYS)})")
    for key in _REQUIRED:
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise _Problem(f"{where}: '{key}' must be a non-empty string, got {raw.get(key)!r}")
    try:
        check_name(raw["name"])
        version_key(raw["version"])
    except LocoError as exc:
        raise _Problem(f"{where}: {exc}") from None
    values = {key: raw[key] for key in _REQUIRED}
    if isinstance(raw.get("created"), (dt.date, dt.datetime)):  # an unquoted timestamp typed by hand
        raw = {**raw, "created": raw["created"].isoformat()}
    for key in ("description", "domain", "created"):
        values[key] = _typed(raw.get(key) or "", str, f"{where}: '{key}'")
    values["active"] = _typed(raw.get("active", False), bool, f"{where}: 'active'")
    tags = _typed(raw.get("tags") or [], list, f"{where}: 'tags'")
    values["tags"] = [_typed(tag, str, f"{where}: tag") for tag in tags]
    values["keywords"] = _keywords(raw.get("keywords") or {}, f"{where}: 'keywords'")
    values["gate"] = _gate(raw.get("gate") or {}, f"{where}: 'gate'")
    try:
        values["tool"] = check_tool(raw.get("tool"), f"{where}: 'tool'")
    except LocoError as exc:
        raise _Problem(str(exc)) from None
    return AdapterEntry(**values)


def _typed(value, kind, what: str):
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise _Problem(f"{what} must be a {kind.__name__}, got {value!r}")
    return value


def _number(value, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _Problem(f"{what} must be a finite number, got {value!r}")
    return float(value)


def _keywords(value, what: str) -> dict[str, float]:
    if isinstance(value, list):
        value = {word: 1.0 for word in value}
    if not isinstance(value, dict):
        raise _Problem(f"{what} must be a list of words or a mapping word: weight, got {value!r}")
    out = {}
    for word, weight in value.items():
        if not isinstance(word, str) or not word.strip():
            raise _Problem(f"{what}: keyword {word!r} must be a non-empty string")
        out[word] = _number(weight, f"{what}: weight of '{word}'")
    return out


def _gate(value, what: str) -> GateSummary:
    if isinstance(value, GateSummary):
        value = asdict(value)
    if not isinstance(value, dict):
        raise _Problem(f"{what} must be a mapping, got {value!r}")
    known = [f.name for f in fields(GateSummary)]
    for key in value:
        if key not in known:
            raise _Problem(f"{what}: unknown key '{key}' (known: {', '.join(known)})")
    verdict, digest = value.get("verdict"), value.get("benchmark_sha256")
    if verdict is not None and verdict not in VERDICTS:
        raise _Problem(f"{what}: verdict must be one of {', '.join(VERDICTS)} (or empty), got {verdict!r}")
    if digest is not None and not isinstance(digest, str):
        raise _Problem(f"{what}: benchmark_sha256 must be a string, got {digest!r}")
    return GateSummary(
        score=_number(value.get("score"), f"{what}: score"),
        base_score=_number(value.get("base_score"), f"{what}: base_score"),
        benchmark_sha256=digest,
        verdict=verdict,
    )


# Adapter files: complete safetensors, LoRA pairs, shapes that fit the base. Headers only: no mlx.
