"""Codebooks: the stages, roles and channels cjm tags, with their words, as YAML data.

The default codebook ships in `cjm/data/codebook.yaml`. A user's codebook either replaces it or,
with `extends: default`, adds to it: a label with a known id adds its patterns (or, with
`replace: true`, swaps them), a new id adds a label, `drop:` removes labels. The whole file is
validated at once and every problem is reported with its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import CodebookError
from .model import CHANNEL, ROLE, STAGE

KIND_KEYS = {STAGE: "stages", ROLE: "roles", CHANNEL: "channels"}
LANGS = ("ru", "en")
DEFAULT = "default"
# The parts of a journey the rules know, and the default codebook's stage that plays each: a preset
# with other stages says which of its stages plays which (`plays:`), so the same passes apply.
STAGE_PARTS = {"before_contact": "unaware", "discovery": "informed", "interest": "interested",
               "decision": "motivated", "purchase": "bought"}
FAMILIES = ("bant", "temperature")  # lead-qualification families (section `qualification:`)
IGNORABLE_CUES = ("habitual", "advice", "not_this_journey", "counterfactual")  # sentence cues a family may ignore


@dataclass(frozen=True)
class Label:
    """One stage, role, channel or channel group."""

    kind: str
    id: str
    names: dict[str, str]
    means: str = ""
    group: str | None = None  # channels only
    patterns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # language -> phrases
    beats: tuple[str, ...] = ()  # labels of the same kind this one overrides within a sentence
    requires_past: bool = False  # stages told only as past events ("оплатили", not "оплата", "подпишем")
    plays: str | None = None  # stages only: the part of the journey the rules treat it as (STAGE_PARTS)
    roles: tuple[str, ...] = ()  # qualification families only: roles whose presence is this signal
    ignores: tuple[str, ...] = ()  # qualification families only: sentence cues that do not put it out

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get("en") or self.id


@dataclass
class Codebook:
    """Everything the tagger and the report need to know about the labels."""

    stages: list[Label]
    roles: list[Label]
    channels: list[Label]
    groups: list[Label]
    cues: dict[str, dict[str, tuple[str, ...]]]  # cue kind (negation, ...) -> language -> words
    lexicons: dict[str, Any]  # free-form word lists: durations, sentiment, ...
    source: str = DEFAULT
    families: dict[str, list[Label]] = field(default_factory=dict)  # qualification family -> its labels

    def labels(self, kind: str) -> list[Label]:
        return {STAGE: self.stages, ROLE: self.roles, CHANNEL: self.channels, "group": self.groups}[kind]

    def ids(self, kind: str) -> list[str]:
        return [label.id for label in self.labels(kind)]

    def get(self, kind: str, ident: str) -> Label | None:
        return next((label for label in self.labels(kind) if label.id == ident), None)

    def name(self, kind: str, ident: str | None, lang: str) -> str:
        if ident is None:
            return "—"
        label = self.get(kind, ident)
        return label.name(lang) if label else ident

    def stage_index(self, stage: str) -> int:
        return self.ids(STAGE).index(stage)

    def stage_playing(self, part: str) -> str | None:
        """The stage that plays a part of the journey (`STAGE_PARTS`): the one saying so with
        `plays:`, else the default codebook's stage of that id where this codebook has it."""
        chosen = next((s.id for s in self.stages if s.plays == part), None)
        if chosen is not None:
            return chosen
        default = STAGE_PARTS[part]
        taken = {s.plays for s in self.stages if s.plays}
        return default if default in self.ids(STAGE) and part not in taken else None

    def reached_purchase(self, stage: str | None) -> bool:
        """A furthest stage at or past the purchase: the deal is bought (the hourglass goes on past it)."""
        purchase = self.stage_playing("purchase") or self.ids(STAGE)[-1]
        return stage is not None and stage in self.ids(STAGE) and self.stage_index(stage) >= self.stage_index(purchase)

    def group_of(self, channel: str | None) -> str | None:
        label = self.get(CHANNEL, channel) if channel else None
        return label.group if label else None


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping, for error messages."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: str | Path, text: str | None = None) -> dict:
    """Parse a codebook file; a YAML error becomes a `CodebookError` with its line."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig") if text is None else text
    except (OSError, UnicodeDecodeError) as exc:
        raise CodebookError(f"cannot read the codebook: {exc}", path=source) from None
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CodebookError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", path=source,
                            line=mark.line + 1 if mark else None,
                            hint="fix the YAML syntax at that line") from None
    if not isinstance(data, dict):
        raise CodebookError("a codebook is a mapping with 'stages', 'roles' and 'channels'", path=source, line=1)
    return data


def default_codebook_path() -> Path:
    return Path(str(resources.files("cjm") / "data" / "codebook.yaml"))


_DEFAULT_CACHE: dict[str, Codebook] = {}


def load_codebook(path: str | Path | None = None) -> Codebook:
    """The default codebook, or a user's (replacing the default or, with `extends`, extending it).

    `extends:` names the default, a preset (`cjm/data/presets/NAME.yaml`, see `preset_names`) or
    another codebook file (relative to this one); a chain of extensions is followed to its root.
    """
    if path is None:
        if DEFAULT not in _DEFAULT_CACHE:
            _DEFAULT_CACHE[DEFAULT] = build(read_yaml(default_codebook_path()), DEFAULT)
        return _DEFAULT_CACHE[DEFAULT]
    return build(resolve_extends(Path(path), ()), str(path))


def presets_dir() -> Path:
    return Path(str(resources.files("cjm") / "data" / "presets"))


def preset_names() -> list[str]:
    """The journey presets shipped with cjm (`cjm init --preset`)."""
    return sorted(p.stem for p in presets_dir().glob("*.yaml"))


def resolve_extends(path: Path, chain: tuple[Path, ...]) -> dict:
    """One codebook file merged over what it extends (the default, a preset or a file)."""
    data = read_yaml(path)
    parent = data.get("extends")
    if parent in (None, False):
        return data
    if parent in (DEFAULT, True):
        return merge(read_yaml(default_codebook_path()), data, str(path))
    if not isinstance(parent, str) or not parent.strip():
        raise CodebookError(f"'extends' must name 'default', a preset ({', '.join(preset_names())}) or a codebook file",
                            path=str(path), line=_line(data))
    target = presets_dir() / f"{parent}.yaml" if parent in preset_names() else (path.parent / parent)
    if not target.is_file():
        raise CodebookError(f"'extends: {parent}' is neither a preset ({', '.join(preset_names())}) nor a file",
                            path=str(path), line=_line(data), hint="name a preset or a codebook file beside this one")
    resolved = target.resolve()
    if resolved in chain or resolved == path.resolve():
        raise CodebookError(f"'extends: {parent}' leads back to a codebook already extended (a cycle)",
                            path=str(path), line=_line(data))
    return merge(resolve_extends(target, chain + (path.resolve(),)), data, str(path))


def merge(base: dict, extra: dict, source: str) -> dict:
    """Extend the default codebook with a user's labels, patterns, drops and cues."""
    errors: list[str] = []
    merged = {key: value for key, value in base.items()}
    for key in ("stages", "roles", "channels", "groups"):
        merged[key] = _merge_labels(base.get(key) or [], extra.get(key) or [], key, errors)
    families = dict(base.get("qualification") or {})
    for family, items in (extra.get("qualification") or {}).items():
        if family != "__line__":
            families[family] = _merge_labels(families.get(family) or [], items or [], f"qualification.{family}", errors)
    if families:
        merged["qualification"] = families
    dropped_stages: set[str] = set()
    for ident in extra.get("drop") or []:
        found = False
        for key in ("stages", "roles", "channels", "groups"):
            before = len(merged[key])
            merged[key] = [item for item in merged[key] if item.get("id") != ident]
            found = found or len(merged[key]) < before
            if key == "stages" and len(merged[key]) < before:
                dropped_stages.add(ident)
        if not found:
            errors.append(f"line {_line(extra)}: 'drop' names unknown label id {ident!r}")
    for section in ("cues", "lexicons"):
        if isinstance(extra.get(section), dict):
            combined = dict(base.get(section) or {})
            for name, value in extra[section].items():
                if name == "__line__":
                    continue
                if isinstance(value, dict) and value.get("replace"):  # swap the section, not add to it
                    combined[name] = {k: v for k, v in value.items() if k != "replace"}
                elif isinstance(value, dict) and isinstance(combined.get(name), dict):
                    inner = dict(combined[name])
                    for lang, words in value.items():
                        if isinstance(words, list) and isinstance(inner.get(lang), list):
                            inner[lang] = inner[lang] + words
                        else:
                            inner[lang] = words
                    combined[name] = inner
                else:
                    combined[name] = value
            merged[section] = combined
    questions = (merged.get("lexicons") or {}).get("questions")
    if dropped_stages and isinstance(questions, dict):  # a dropped stage's questions go with it
        merged["lexicons"] = {**merged["lexicons"],
                              "questions": {k: v for k, v in questions.items() if k not in dropped_stages}}
    if errors:
        raise CodebookError("; ".join(errors), path=source, hint="see the codebook section of the README")
    return merged


def _merge_labels(base_items: list, extra_items: list, key: str, errors: list[str]) -> list[dict]:
    """A section's labels with the extension's: a known id adds (or, with `replace`, swaps) patterns."""
    items = [dict(item) for item in base_items]
    by_id = {item.get("id"): item for item in items}
    for item in extra_items:
        if not isinstance(item, dict) or "id" not in item:
            errors.append(f"line {_line(item)}: every entry of '{key}' needs an 'id'")
            continue
        target = by_id.get(item["id"])
        if target is None:
            items.append(item)
            by_id[item["id"]] = item
            continue
        for field_name, value in item.items():
            if field_name == "patterns" and not item.get("replace"):
                patterns = dict(target.get("patterns") or {})
                for lang, words in (value or {}).items():
                    if lang != "__line__":
                        patterns[lang] = list(patterns.get(lang) or []) + list(words or [])
                target["patterns"] = patterns
            elif field_name not in ("replace", "__line__"):
                target[field_name] = value
    return items


def _line(item: Any) -> int | None:
    return item.get("__line__") if isinstance(item, dict) else None


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def build(data: dict, source: str) -> Codebook:
    """Validate a parsed codebook as a whole and turn it into a `Codebook`."""
    errors: list[str] = []

    def labels(kind_key: str, kind: str, items: Any = None) -> list[Label]:
        result: list[Label] = []
        items = data.get(kind_key) if items is None else items
        if not isinstance(items, list) or not items:
            errors.append(f"'{kind_key}' must be a non-empty list")
            return result
        seen: set[str] = set()
        for item in items:
            where = f"line {_line(item)}"
            if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"].strip():
                errors.append(f"{where}: every entry of '{kind_key}' needs an 'id'")
                continue
            ident = item["id"]
            if ident in seen:
                errors.append(f"{where}: duplicate id {ident!r} in '{kind_key}'")
            seen.add(ident)
            names = _strip_lines(item.get("name") or {})
            if isinstance(names, str):
                names = {"en": names}
            for lang in LANGS:
                if lang in item and isinstance(item[lang], str):
                    names.setdefault(lang, item[lang])
            patterns_raw = item.get("patterns") or {}
            patterns: dict[str, tuple[str, ...]] = {}
            if not isinstance(patterns_raw, dict):
                errors.append(f"{where}: 'patterns' of {ident!r} must map a language to a list of phrases")
            else:
                for lang, words in patterns_raw.items():
                    if lang == "__line__":
                        continue
                    if lang not in LANGS:
                        errors.append(f"{where}: patterns of {ident!r}: unknown language {lang!r} (use ru or en)")
                    elif not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
                        errors.append(f"{where}: patterns of {ident!r} for {lang!r} must be a list of non-empty strings")
                    else:
                        patterns[lang] = tuple(words)
            result.append(Label(kind=kind, id=ident, names=names, means=str(item.get("means") or "").strip(),
                                group=item.get("group"), patterns=patterns,
                                beats=tuple(item.get("beats") or ()),
                                requires_past=bool(item.get("requires_past")),
                                plays=item.get("plays"), roles=tuple(item.get("roles") or ()),
                                ignores=tuple(item.get("ignores") or ())))
            if item.get("plays") is not None and (kind != STAGE or item["plays"] not in STAGE_PARTS):
                errors.append(f"{where}: 'plays' of {ident!r} must be one of {', '.join(STAGE_PARTS)} (stages only)")
        return result

    stages = labels("stages", STAGE)
    roles = labels("roles", ROLE)
    channels = labels("channels", CHANNEL)
    groups = labels("groups", "group") if data.get("groups") else [
        Label(kind="group", id=g, names={"en": g}) for g in dict.fromkeys(c.group for c in channels if c.group)]
    group_ids = {g.id for g in groups}
    for channel in channels:
        if not channel.group:
            errors.append(f"channel {channel.id!r} has no 'group'")
        elif channel.group not in group_ids:
            errors.append(f"channel {channel.id!r} names unknown group {channel.group!r} "
                          f"(known: {', '.join(sorted(group_ids))})")
    for label in stages + roles + channels:
        known = {item.id for item in (stages if label.kind == STAGE else roles if label.kind == ROLE else channels)}
        for other in label.beats:
            if other not in known:
                errors.append(f"{label.kind} {label.id!r}: 'beats' names unknown label id {other!r}")
    played = [s.plays for s in stages if s.plays]
    for part in sorted({p for p in played if played.count(p) > 1}):
        errors.append(f"two stages play {part!r}: give 'plays: {part}' to one stage only")
    families: dict[str, list[Label]] = {}
    raw_families = data.get("qualification") or {}
    if not isinstance(raw_families, dict):
        errors.append("'qualification' must map a family (bant, temperature) to a list of labels")
        raw_families = {}
    for family, items in raw_families.items():
        if family == "__line__":
            continue
        if family not in FAMILIES:
            errors.append(f"qualification: unknown family {family!r} (known: {', '.join(FAMILIES)})")
            continue
        families[family] = labels(f"qualification.{family}", family, items)
        for label in families[family]:
            for cue in label.ignores:
                if cue not in IGNORABLE_CUES:
                    errors.append(f"qualification.{family} {label.id!r}: 'ignores' names {cue!r} "
                                  f"(one of {', '.join(IGNORABLE_CUES)})")
            for role in label.roles:
                if role not in {r.id for r in roles}:
                    errors.append(f"qualification.{family} {label.id!r}: 'roles' names unknown role {role!r}")
    cues: dict[str, dict[str, tuple[str, ...]]] = {}
    for cue, by_lang in _strip_lines(data.get("cues") or {}).items():
        if not isinstance(by_lang, dict):
            errors.append(f"cues.{cue} must map a language to a list of words")
            continue
        cues[cue] = {lang: tuple(words or []) for lang, words in by_lang.items()}
    if errors:
        raise CodebookError("; ".join(errors), path=source, hint="fix these entries of the codebook")
    return Codebook(stages=stages, roles=roles, channels=channels, groups=groups, cues=cues,
                    lexicons=_strip_lines(data.get("lexicons") or {}), source=source, families=families)
