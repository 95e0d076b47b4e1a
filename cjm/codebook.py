"""Codebooks: the stages, roles and channels cjm tags, with their words, as YAML data.

The default codebook ships in `cjm/data/codebook.yaml`. A user's codebook either replaces it or,
with `extends:` (the default, a preset in `cjm/data/presets/` or another file), adds to it: a label
with a known id adds its patterns (or, with `replace: true`, swaps them), a new id adds a label,
`drop:` removes labels, cue and lexicon sections merge key by key (or, with `replace: true`, swap).
Every file is validated at once and every problem is reported with its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import yaml

from .errors import CodebookError
from .limits import current_limits, how_to_raise
from .model import CHANNEL, EVENT, ROLE, STAGE
from .safeyaml import LimitedLoader, YamlError, load_yaml

KIND_KEYS = {STAGE: "stages", ROLE: "roles", CHANNEL: "channels"}
EVENT_LANES = ("action", "touchpoint")  # what the client did; where client and supplier met
LANGS = ("ru", "en")
DEFAULT = "default"
LINE, LINES = "__line__", "__lines__"  # where a mapping, and each of its values, is in the file
# The parts of a journey the rules know, and the default codebook's stage that plays each: a preset
# with other stages says which of its stages plays which (`plays:`), so the same passes apply.
STAGE_PARTS = {"before_contact": "unaware", "discovery": "informed", "interest": "interested",
               "decision": "motivated", "purchase": "bought"}
PART_OF = {stage: part for part, stage in STAGE_PARTS.items()}
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
    meanings: dict[str, str] = field(default_factory=dict)  # language -> what the label means
    stage: str | None = None  # events only: the stage the event belongs to
    lane: str = ""  # events only: action | touchpoint

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get("en") or self.id

    def meaning(self, lang: str) -> str:
        """What the label means in this language; empty when the codebook does not say it in it
        (a report in one language shows no text of another)."""
        return self.meanings.get(lang, "")


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
    events: list[Label] = field(default_factory=list)  # journey events (optional section `events`)

    def labels(self, kind: str) -> list[Label]:
        return {STAGE: self.stages, ROLE: self.roles, CHANNEL: self.channels, "group": self.groups,
                EVENT: self.events}[kind]

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


class _LineLoader(LimitedLoader):
    """The safe, bounded loader (`cjm.safeyaml`) that also remembers the line of every mapping
    and of each of its values, for error messages."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = LimitedLoader.construct_mapping(loader, node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    mapping[LINES] = {loader.construct_object(key, deep=True): value.start_mark.line + 1
                      for key, value in node.value if isinstance(key, yaml.ScalarNode)}
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

if hasattr(yaml, "CSafeLoader"):  # libyaml: about ten times faster
    class _ShippedLoader(yaml.CSafeLoader):
        """The C loader with the line marks, for cjm's OWN codebook and presets only: a user's
        file always goes through the bounded `_LineLoader`."""

    _ShippedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
else:  # pragma: no cover - PyYAML built without libyaml
    _ShippedLoader = None


def shipped(path: str | Path) -> bool:
    """A file of cjm's own data folder (the default codebook, a preset)."""
    data = Path(str(resources.files("cjm") / "data")).resolve()
    try:
        return Path(path).resolve().is_relative_to(data)
    except OSError:
        return False


def read_yaml(path: str | Path, text: str | None = None) -> dict:
    """Parse a codebook file within cjm's YAML limits; any problem becomes a `CodebookError` with its line."""
    source = str(path)
    limits = current_limits()
    read_here = text is None  # (before the file is read into `text`: only a file of cjm's own goes to libyaml)
    try:
        if text is None:
            size = Path(path).stat().st_size
            if size > limits.max_yaml_bytes:
                raise CodebookError(f"the codebook is {size // 1024:,} KB, more than the limit of "
                                    f"{limits.max_yaml_kb:,} KB", path=source, hint=how_to_raise("max_yaml_kb"))
            text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CodebookError(f"cannot read the codebook: {exc}", path=source) from None
    try:
        if read_here and _ShippedLoader is not None and shipped(path):
            data = yaml.load(text, Loader=_ShippedLoader)  # noqa: S506 - cjm's own file, a safe loader
        else:
            data = load_yaml(text, loader=_LineLoader, limits=limits)
    except YamlError as exc:
        raise CodebookError(f"not valid YAML: {exc.message}", path=source, line=exc.line,
                            hint=exc.hint or "fix the YAML at that line") from None
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
            _DEFAULT_CACHE[DEFAULT] = build(resolve(default_codebook_path(), ()), DEFAULT)
        return _DEFAULT_CACHE[DEFAULT]
    return build(resolve(Path(path), ()), str(path))


def presets_dir() -> Path:
    return Path(str(resources.files("cjm") / "data" / "presets"))


def preset_names() -> list[str]:
    """The journey presets shipped with cjm (`cjm init --preset`, `extends: NAME`)."""
    return sorted(p.stem for p in presets_dir().glob("*.yaml"))


def resolve(path: Path, chain: tuple[Path, ...]) -> dict:
    """A codebook file with what it `extends` merged under it: `default` (or `true`) is the shipped
    codebook, a preset's name that preset (`cjm/data/presets/NAME.yaml`), any other text a codebook
    file (relative to this one). Each file is checked before merging; a cycle is an error."""
    source = str(path)
    data = read_yaml(path)
    errors = check_fields(data)
    if errors:
        raise CodebookError("; ".join(errors), path=source, line=_first_line(errors), hint=FIX_HINT)
    base_ref = data.get("extends")
    if base_ref is None or base_ref is False:
        return data
    where = _line(data, "extends")
    if base_ref is True or base_ref == DEFAULT:
        base_path = default_codebook_path()
    elif base_ref in preset_names():
        base_path = presets_dir() / f"{base_ref}.yaml"
    else:
        base_path = (path.parent / str(base_ref)).expanduser()
    here = path.resolve()
    target = base_path.resolve()
    visited = chain + (here,)
    if target in visited:
        loop = " -> ".join(p.name for p in visited[visited.index(target):] + (target,))
        raise CodebookError(f"'extends' makes a cycle ({loop})" if target != here else
                            "'extends' names this codebook itself", path=source, line=where,
                            hint="extend 'default', a preset or another codebook, never one that extends this one")
    if not base_path.is_file():
        presets = ", ".join(preset_names())
        if Path(str(base_ref)).suffix.lower() in (".yaml", ".yml") or "/" in str(base_ref) or "\\" in str(base_ref):
            raise CodebookError(f"'extends' names {str(base_ref)!r}, which is not a codebook file", path=source,
                                line=where, hint=f"write 'extends: default', a preset ({presets}) or a path to a codebook")
        raise CodebookError(f"'extends: {base_ref}' is neither a preset ({presets}) nor a codebook file", path=source,
                            line=where, hint="name a preset or a codebook file beside this one")
    return merge(resolve(base_path, visited), data, source)


def merge(base: dict, extra: dict, source: str) -> dict:
    """Extend a codebook with another's labels, patterns, drops, cues and lexicons."""
    errors: list[str] = []
    merged = {key: value for key, value in base.items() if key not in (LINE, LINES)}
    for key in ("stages", "roles", "channels", "groups", "events"):
        merged[key] = _merge_labels(base.get(key) or [], extra.get(key) or [], key, errors)
    families = {k: v for k, v in (base.get("qualification") or {}).items() if k not in (LINE, LINES)}
    for family, items in (extra.get("qualification") or {}).items():
        if family not in (LINE, LINES):
            families[family] = _merge_labels(families.get(family) or [], items or [], f"qualification.{family}", errors)
    if families:  # with the lines of each family's name, for `build`'s messages
        lines_of = {**((base.get("qualification") or {}).get(LINES) or {}),
                    **((extra.get("qualification") or {}).get(LINES) or {})}
        merged["qualification"] = {**families, LINES: lines_of}
    dropped_stages: set[str] = set()
    dropped_parts: dict[str, str | None] = {}  # dropped stage -> the part of the journey it played
    drop = extra.get("drop") or []
    for ident in [drop] if isinstance(drop, str) else drop:
        found = False
        for key in ("stages", "roles", "channels", "groups", "events"):
            before = len(merged.get(key) or [])
            merged[key] = merged.get(key) or []
            if key == "stages":
                dropped_parts.update({ident: item.get("plays") or PART_OF.get(ident)
                                      for item in merged[key] if item.get("id") == ident})
            merged[key] = [item for item in merged[key] if item.get("id") != ident]
            found = found or len(merged[key]) < before
            if key == "stages" and len(merged[key]) < before:
                dropped_stages.add(ident)
        if not found:
            errors.append(f"line {_line(extra, 'drop')}: 'drop' names unknown label id {ident!r}")
    if dropped_stages and merged.get("events"):
        merged["events"] = _events_on_kept_stages(merged["events"], merged["stages"], dropped_parts)
    for section in ("cues", "lexicons"):
        if isinstance(extra.get(section), dict):
            sections = extra[section]
            swapped = {name: value for name, value in _without_replace(sections).items() if _swaps(sections[name])}
            added = {name: value for name, value in _without_replace(sections).items() if name not in swapped}
            merged[section] = {**deep_merge(base.get(section) or {}, added), **swapped}
    questions = (merged.get("lexicons") or {}).get("questions")
    if dropped_stages and isinstance(questions, dict):  # a dropped stage's questions go with it
        merged["lexicons"] = {**merged["lexicons"],
                              "questions": {k: v for k, v in questions.items() if k not in dropped_stages}}
    if errors:
        raise CodebookError("; ".join(errors), path=source, line=_first_line(errors),
                            hint="see the codebook section of the README")
    return merged


def _events_on_kept_stages(events: list, stages: list, dropped_parts: dict[str, str | None]) -> list[dict]:
    """Events of dropped stages move to the stage now playing the same part of the journey (`plays:`;
    the default's `informed` event goes to the hourglass's `know`), else the closest earlier part that
    is played (b2b-four-step has no `interest`: its events go to the review of solutions); an event
    with no such stage (the time before contact, where nothing plays it) goes with its stage."""
    ids = {s.get("id") for s in stages if isinstance(s, dict)}
    playing = {s["plays"]: s.get("id") for s in stages if isinstance(s, dict) and s.get("plays")}
    playing.update({part: stage for part, stage in STAGE_PARTS.items() if part not in playing and stage in ids})
    parts = list(STAGE_PARTS)
    kept = []
    for event in events:
        stage = event.get("stage") if isinstance(event, dict) else None
        if stage in dropped_parts and stage not in ids:
            part = dropped_parts[stage]
            earlier = parts[:parts.index(part) + 1][::-1] if part in parts else []
            target = next((playing[p] for p in earlier if p in playing), None)
            if target is None:
                continue
            event = {**event, "stage": target}
        kept.append(event)
    return kept


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
                    if lang not in (LINE, LINES):
                        patterns[lang] = list(patterns.get(lang) or []) + list(words or [])
                target["patterns"] = patterns
            elif field_name not in ("replace", LINE, LINES):
                target[field_name] = value
    return items


def _swaps(value: Any) -> bool:
    """A cue or lexicon section marked `replace: true`: it takes the place of the extended one's."""
    return isinstance(value, dict) and value.get("replace") is True


def _without_replace(sections: dict) -> dict:
    """Sections (cues, lexicons) without their `replace` marks, which only steer the merge."""
    return {name: {k: v for k, v in value.items() if k != "replace"} if isinstance(value, dict) else value
            for name, value in sections.items()}


def deep_merge(base: Any, extra: Any) -> Any:
    """Lists are extended, mappings merged key by key, anything else replaced."""
    if isinstance(base, dict) and isinstance(extra, dict):
        combined = dict(base)
        for key, value in extra.items():
            if key in (LINE, LINES):
                continue
            combined[key] = deep_merge(base[key], value) if key in base else value
        return combined
    if isinstance(base, list) and isinstance(extra, list):
        return base + extra
    return extra


def _line(item: Any, key: str | None = None) -> int | None:
    """The line of a mapping, or of one of its values."""
    if not isinstance(item, dict):
        return None
    if key is not None and key in (item.get(LINES) or {}):
        return item[LINES][key]
    return item.get(LINE)


def _first_line(errors: list[str]) -> int | None:
    for error in errors:
        if error.startswith("line ") and error[5:].split(":")[0].isdigit():
            return int(error[5:].split(":")[0])
    return None


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k not in (LINE, LINES)}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


# --- validation: every entry's type, each problem with its line and what is expected ---------

TOP_KEYS = ("version", "extends", "stages", "roles", "channels", "groups", "events", "cues", "lexicons", "drop",
            "qualification")
LABEL_KEYS = ("id", "name", "means", "group", "patterns", "beats", "requires_past", "replace", "plays") + LANGS
EVENT_KEYS = LABEL_KEYS + ("stage", "lane")  # an event also names its stage and its lane
FAMILY_KEYS = ("id", "name", "means", "patterns", "beats", "replace", "roles", "ignores") + LANGS  # qualification labels
SINGULAR = {"stages": "stage", "roles": "role", "channels": "channel", "groups": "group", "events": "event"}
# Lexicon sections cjm reads, by shape; other sections are free-form (kept for the user's own use).
PHRASE_SECTIONS = ("situation", "advice_questions", "aside_questions", "cycle_cues", "cycle_questions",
                   "cycle_counterfactual", "lost_deal",
                   "purchase_told", "purchase_dated", "purchase_dated_terse", "purchase_questions", "purchase_confirmations",
                   "purchase_negators", "purchase_not_a_purchase", "purchase_not_done", "purchase_plan", "purchase_elsewhere",
                   "purchase_undone", "purchase_renewal", "purchase_pronouns", "purchase_reasons", "purchase_when",
                   "purchase_deadlines", "purchase_corrections", "purchase_with_you", "purchase_with_them",
                   "purchase_yours",
                   "payment_words", "cycle_whole", "cycle_span", "cycle_step_spans", "cycle_end_words", "cycle_sum")
ID_LIST_SECTIONS = ("channels_not_implying_informed", "first_contact_priority", "channels_in_use_before_contact",
                    "contact_at_discovery")
NUMBER_SECTIONS = ("min_cycle_days", "max_cycle_days")
DURATION_TABLES = ("numbers", "units", "whole", "months", "month_parts", "ordinals", "ordinal_tens")
DURATION_REQUIRED = ("numbers", "units", "months")
FIX_HINT = "fix these entries of the codebook"


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing" if value is None else type(value).__name__


def _is_text_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(w, str) and w.strip() for w in value)


def _keys(mapping: dict) -> list[Any]:
    return [k for k in mapping if k not in (LINE, LINES)]


def check_fields(data: dict) -> list[str]:
    """Every entry of one codebook file has the type cjm expects: ['line N: what is wrong', ...].

    Checked file by file before merging (so lines point into the file that has the mistake);
    references between labels (groups, beats) are checked on the whole codebook in `build`."""
    errors: list[str] = []

    def bad(where: int | None, message: str) -> None:
        errors.append(f"line {where}: {message}" if where else message)

    for key in _keys(data):
        if key not in TOP_KEYS:
            bad(_line(data, key), f"unknown key {key!r} (a codebook has: {', '.join(TOP_KEYS)})")
    extends = data.get("extends")
    if extends is not None and not isinstance(extends, (bool, str)):
        bad(_line(data, "extends"), f"'extends' must be 'default' or a codebook file (or a preset: "
            f"{', '.join(preset_names())}), not {_kind_of(extends)}")
    for kind_key in ("stages", "roles", "channels", "groups", "events"):
        if kind_key not in data:
            continue
        items = data[kind_key]
        where = _line(data, kind_key)
        if items is None:
            continue
        if not isinstance(items, list):
            bad(where, f"'{kind_key}' must be a list of entries with an 'id', not {_kind_of(items)}")
            continue
        for item in items:
            if not isinstance(item, dict):
                bad(where, f"every entry of '{kind_key}' is a mapping with an 'id', not {_kind_of(item)}")
                continue
            check_label(item, kind_key, bad)
    families = data.get("qualification")
    if families is not None and not isinstance(families, dict):
        bad(_line(data, "qualification"), f"'qualification' must map a family ({', '.join(FAMILIES)}) to a list "
            f"of labels, not {_kind_of(families)}")
    for family in _keys(families) if isinstance(families, dict) else []:
        items = families[family]  # an unknown family is reported by `build`, with the whole codebook's
        if items is not None and not isinstance(items, list):
            bad(_line(families, family), f"'qualification.{family}' must be a list of entries with an 'id', "
                f"not {_kind_of(items)}")
            continue
        for item in items or []:
            if not isinstance(item, dict):
                bad(_line(families, family), f"every entry of 'qualification.{family}' is a mapping with an 'id', "
                    f"not {_kind_of(item)}")
                continue
            check_label(item, f"qualification.{family}", bad)
    drop = data.get("drop")
    if drop is not None and not isinstance(drop, str) and not (
            isinstance(drop, list) and all(isinstance(d, str) for d in drop)):
        bad(_line(data, "drop"), f"'drop' must be a list of label ids, not {_kind_of(drop)}")
    cues = data.get("cues")
    if cues is not None:
        if not isinstance(cues, dict):
            bad(_line(data, "cues"), f"'cues' must map a cue kind to its words per language, not {_kind_of(cues)}")
        else:
            cues = check_replace_marks(cues, "cues", bad)
            for cue in _keys(cues):
                check_by_language(cues, cue, f"cues.{cue}", bad)
    lexicons = data.get("lexicons")
    if lexicons is not None:
        if not isinstance(lexicons, dict):
            bad(_line(data, "lexicons"), f"'lexicons' must be a mapping of word lists, not {_kind_of(lexicons)}")
        else:
            check_lexicons(check_replace_marks(lexicons, "lexicons", bad), bad)
    return sorted(errors, key=lambda error: _first_line([error]) or 0)  # in the order of the file


def check_replace_marks(sections: dict, where: str, bad: Callable[[int | None, str], None]) -> dict:
    """Cue or lexicon sections as checked further: a section's `replace` (true swaps the extended
    codebook's section for this one) is true or false, and is no word list of its own."""
    checked = dict(sections)
    for name in _keys(sections):
        value = sections[name]
        if isinstance(value, dict) and "replace" in value:
            if not isinstance(value["replace"], bool):
                bad(_line(value, "replace"), f"{where}.{name}: 'replace' must be true or false, "
                    f"not {_kind_of(value['replace'])}")
            checked[name] = {k: v for k, v in value.items() if k != "replace"}
    return checked


def check_label(item: dict, kind_key: str, bad: Callable[[int | None, str], None]) -> None:
    ident = item.get("id")
    if not isinstance(ident, str) or not ident.strip():
        bad(_line(item, "id"), f"every entry of '{kind_key}' needs an 'id' (a text), not {_kind_of(ident)}")
        return
    family = kind_key.startswith("qualification.")
    label = f"{SINGULAR.get(kind_key, kind_key)} {ident!r}"
    allowed = FAMILY_KEYS if family else EVENT_KEYS if kind_key == "events" else LABEL_KEYS
    for key in _keys(item):
        if key not in allowed:
            bad(_line(item, key), f"{label}: unknown key {key!r} (expected: {', '.join(allowed)})")
    plays = item.get("plays")
    if "plays" in item and kind_key == "stages" and plays not in STAGE_PARTS:
        bad(_line(item, "plays"), f"{label}: 'plays' of {ident!r} must be one of {', '.join(STAGE_PARTS)}, "
            f"not {_kind_of(plays)}")
    elif "plays" in item and kind_key != "stages" and not family:
        bad(_line(item, "plays"), f"{label}: 'plays' of {ident!r} must be one of {', '.join(STAGE_PARTS)} "
            "(stages only)")
    for key in ("roles", "ignores"):  # what they name is checked by `build`, against the whole codebook
        value = item.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            bad(_line(item, key), f"{label}: {key!r} must be a list of ids, not {_kind_of(value)}")
    for key in ("name", "means"):  # a text, or one text per language
        value = item.get(key)
        if value is None or isinstance(value, str):
            continue
        if not isinstance(value, dict):
            bad(_line(item, key), f"{label}: {key!r} must be a text or {{ru: ..., en: ...}}, not {_kind_of(value)}")
            continue
        for lang in _keys(value):
            if lang not in LANGS or not isinstance(value[lang], str):
                bad(_line(value, lang), f"{label}: {key!r} maps ru and en to a text, not {lang!r} to "
                    f"{_kind_of(value[lang])}")
    for lang in LANGS:
        if lang in item and not isinstance(item[lang], str):
            bad(_line(item, lang), f"{label}: {lang!r} (its name) must be a text, not {_kind_of(item[lang])}")
    for key, expected in (("group", str), ("stage", str), ("lane", str)):
        value = item.get(key)
        if value is not None and not isinstance(value, expected):
            bad(_line(item, key), f"{label}: {key!r} must be a text, not {_kind_of(value)}")
    if "group" in item and kind_key != "channels" and not family:
        bad(_line(item, "group"), f"{label}: only channels have a 'group'")
    for key in ("requires_past", "replace"):
        if key in item and not isinstance(item[key], bool):
            bad(_line(item, key), f"{label}: {key!r} must be true or false, not {_kind_of(item[key])}")
    beats = item.get("beats")
    if beats is not None and not (isinstance(beats, list) and all(isinstance(b, str) for b in beats)):
        bad(_line(item, "beats"), f"{label}: 'beats' must be a list of label ids, not {_kind_of(beats)}")
    patterns = item.get("patterns")
    if patterns is not None:
        if not isinstance(patterns, dict):
            bad(_line(item, "patterns"), f"{label}: 'patterns' must map a language (ru, en) to a list of phrases, "
                f"not {_kind_of(patterns)}")
        else:
            for lang in _keys(patterns):
                words = patterns[lang]
                if lang not in LANGS:
                    bad(_line(patterns, lang), f"patterns of {ident!r}: unknown language {lang!r} (use ru or en)")
                elif words is not None and not _is_text_list(words):
                    bad(_line(patterns, lang), f"patterns of {ident!r} for {lang!r} must be a list of non-empty "
                        f"strings, not {_kind_of(words) if not isinstance(words, list) else 'a list holding other values'}")


def check_by_language(parent: dict, key: str, where: str, bad: Callable[[int | None, str], None]) -> None:
    """`{ru: [phrases], en: [phrases]}`."""
    value = parent[key]
    if value is None:
        return
    if not isinstance(value, dict):
        bad(_line(parent, key), f"{where} must map a language (ru, en) to a list of phrases, not {_kind_of(value)}")
        return
    for lang in _keys(value):
        if lang not in LANGS:
            bad(_line(value, lang), f"{where}: unknown language {lang!r} (use ru or en)")
        elif value[lang] is not None and not _is_text_list(value[lang]):
            bad(_line(value, lang), f"{where}.{lang} must be a list of non-empty strings, not {_kind_of(value[lang])}")


def check_lexicons(lexicons: dict, bad: Callable[[int | None, str], None]) -> None:
    for section in _keys(lexicons):
        value = lexicons[section]
        where = f"lexicons.{section}"
        line = _line(lexicons, section)
        if section in PHRASE_SECTIONS:
            check_by_language(lexicons, section, where, bad)
        elif section == "questions":
            if not isinstance(value, dict):
                bad(line, f"{where} must map a stage id to its phrases per language, not {_kind_of(value)}")
            else:
                for stage in _keys(value):
                    check_by_language(value, stage, f"{where}.{stage}", bad)
        elif section in ID_LIST_SECTIONS:
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                bad(line, f"{where} must be a list of label ids, not {_kind_of(value)}")
        elif section == "role_implies_channel":
            if not isinstance(value, dict) or not all(isinstance(value[k], str) for k in _keys(value)):
                bad(line, f"{where} must map a role id to a channel id, not {_kind_of(value)}")
        elif section in NUMBER_SECTIONS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                bad(line, f"{where} must be a number of days, not {_kind_of(value)}")
        elif section == "durations":
            check_durations(value, line, bad)


def check_durations(value: Any, line: int | None, bad: Callable[[int | None, str], None]) -> None:
    """`durations: {ru: {numbers: {word: n}, units: {word: days}, months: {...}, fillers: [...]}}`."""
    if not isinstance(value, dict):
        bad(line, f"lexicons.durations must map a language (ru, en) to its number and unit words, not {_kind_of(value)}")
        return
    for lang in _keys(value):
        table = value[lang]
        where = f"lexicons.durations.{lang}"
        if lang not in LANGS:
            bad(_line(value, lang), f"lexicons.durations: unknown language {lang!r} (use ru or en)")
            continue
        if not isinstance(table, dict):
            bad(_line(value, lang), f"{where} must be a mapping (numbers, units, months, ...), not {_kind_of(table)}")
            continue
        for key in _keys(table):
            entry = table[key]
            if key in DURATION_TABLES:
                if not isinstance(entry, dict) or not all(
                        isinstance(entry[w], (int, float)) and not isinstance(entry[w], bool) for w in _keys(entry)):
                    bad(_line(table, key), f"{where}.{key} must map words to numbers, not {_kind_of(entry)}")
            elif not (isinstance(entry, list) and all(isinstance(w, str) for w in entry)):
                bad(_line(table, key), f"{where}.{key} must be a list of words, not {_kind_of(entry)}")


def count_phrases(data: dict) -> int:
    """The phrases a codebook asks the matchers to hold: labels' patterns, cues, phrase lexicons."""
    total = 0
    for key in ("stages", "roles", "channels"):
        for item in data.get(key) or []:
            for lang, words in (item.get("patterns") or {}).items():
                if lang in LANGS and isinstance(words, list):
                    total += len(words)
    for by_lang in list((data.get("cues") or {}).values()) + [
            (data.get("lexicons") or {}).get(s) for s in PHRASE_SECTIONS] + list(
            ((data.get("lexicons") or {}).get("questions") or {}).values()):
        if isinstance(by_lang, dict):
            total += sum(len(words) for lang, words in by_lang.items() if lang in LANGS and isinstance(words, list))
    return total


def build(data: dict, source: str) -> Codebook:
    """Validate a parsed codebook as a whole and turn it into a `Codebook`."""
    errors: list[str] = []
    limit = current_limits().max_codebook_phrases
    phrases = count_phrases(data)
    if phrases > limit:  # checked before anything is compiled: matching time grows with every phrase
        raise CodebookError(f"the codebook has {phrases:,} phrases, more than the limit of {limit:,} "
                            "(matching time grows with each phrase)", path=source,
                            hint=f"merge phrases with '|' alternatives, or {how_to_raise('max_codebook_phrases')}")
    lines: dict[tuple[str, str], int | None] = {}

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
            lines[(kind, ident)] = _line(item)
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
                    if lang in (LINE, LINES):
                        continue
                    if lang not in LANGS:
                        errors.append(f"{where}: patterns of {ident!r}: unknown language {lang!r} (use ru or en)")
                    elif not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
                        errors.append(f"{where}: patterns of {ident!r} for {lang!r} must be a list of non-empty strings")
                    else:
                        patterns[lang] = tuple(words)
            means = _strip_lines(item.get("means") or {})
            meanings = {"en": means} if isinstance(means, str) else {
                lang: str(text).strip() for lang, text in means.items() if lang in LANGS and text}
            if not isinstance(means, (str, dict)):
                errors.append(f"{where}: 'means' of {ident!r} must be a text or map a language to a text")
            result.append(Label(kind=kind, id=ident, names=names, means=str(meanings.get("en") or "").strip(),
                                group=item.get("group"), patterns=patterns,
                                beats=tuple(item.get("beats") or ()),
                                requires_past=bool(item.get("requires_past")),
                                plays=item.get("plays"), roles=tuple(item.get("roles") or ()),
                                ignores=tuple(item.get("ignores") or ()),
                                meanings={k: v.strip() for k, v in meanings.items()},
                                stage=item.get("stage"), lane=str(item.get("lane") or "")))
            if item.get("plays") is not None and (kind != STAGE or item["plays"] not in STAGE_PARTS):
                errors.append(f"{where}: 'plays' of {ident!r} must be one of {', '.join(STAGE_PARTS)} (stages only)")
        return result

    stages = labels("stages", STAGE)
    roles = labels("roles", ROLE)
    channels = labels("channels", CHANNEL)
    events = labels("events", EVENT) if data.get("events") else []
    stage_ids = {s.id for s in stages}
    for event in events:
        if event.stage not in stage_ids:
            errors.append(f"event {event.id!r} names unknown stage {event.stage!r} (known: {', '.join(sorted(stage_ids))})")
        if event.lane not in EVENT_LANES:
            errors.append(f"event {event.id!r}: 'lane' must be one of {', '.join(EVENT_LANES)}")
        for lang, phrases in event.patterns.items():
            for phrase in phrases:
                if "..." in phrase.split():  # events are matched without gaps (a gap matcher explodes)
                    errors.append(f"event {event.id!r} ({lang}): phrase {phrase!r} may not hold '...'")
    groups = labels("groups", "group") if data.get("groups") else [
        Label(kind="group", id=g, names={"en": g}) for g in dict.fromkeys(c.group for c in channels if c.group)]
    group_ids = {g.id for g in groups}
    for channel in channels:
        where = f"line {lines.get((CHANNEL, channel.id))}: "
        if not channel.group:
            errors.append(f"{where}channel {channel.id!r} has no 'group'")
        elif channel.group not in group_ids:
            errors.append(f"{where}channel {channel.id!r} names unknown group {channel.group!r} "
                          f"(known: {', '.join(sorted(group_ids))})")
    for label in stages + roles + channels:
        known = {item.id for item in (stages if label.kind == STAGE else roles if label.kind == ROLE else channels)}
        for other in label.beats:
            if other not in known:
                errors.append(f"line {lines.get((label.kind, label.id))}: {label.kind} {label.id!r}: "
                              f"'beats' names unknown label id {other!r}")
    played = [s.plays for s in stages if s.plays]
    for part in sorted({p for p in played if played.count(p) > 1}):
        errors.append(f"two stages play {part!r}: give 'plays: {part}' to one stage only")
    families: dict[str, list[Label]] = {}
    raw_families = data.get("qualification") or {}
    if not isinstance(raw_families, dict):
        errors.append("'qualification' must map a family (bant, temperature) to a list of labels")
        raw_families = {}
    for family, items in raw_families.items():
        if family in (LINE, LINES):
            continue
        if family not in FAMILIES:
            at = _line(raw_families, family)
            errors.append(f"{f'line {at}: ' if at else ''}qualification: unknown family {family!r} "
                          f"(known: {', '.join(FAMILIES)})")
            continue
        families[family] = labels(f"qualification.{family}", family, items)
        for label in families[family]:
            at = lines.get((family, label.id))
            where = f"{f'line {at}: ' if at else ''}qualification.{family} {label.id!r}"
            for cue in label.ignores:
                if cue not in IGNORABLE_CUES:
                    errors.append(f"{where}: 'ignores' names {cue!r} (one of {', '.join(IGNORABLE_CUES)})")
            for role in label.roles:
                if role not in {r.id for r in roles}:
                    errors.append(f"{where}: 'roles' names unknown role {role!r}")
    cues: dict[str, dict[str, tuple[str, ...]]] = {}
    for cue, by_lang in _without_replace(_strip_lines(data.get("cues") or {})).items():
        if not isinstance(by_lang, dict):
            errors.append(f"cues.{cue} must map a language to a list of words")
            continue
        cues[cue] = {lang: tuple(words or []) for lang, words in by_lang.items()}
    if errors:
        raise CodebookError("; ".join(errors), path=source, line=_first_line(errors), hint=FIX_HINT)
    return Codebook(stages=stages, roles=roles, channels=channels, groups=groups, cues=cues,
                    lexicons=_without_replace(_strip_lines(data.get("lexicons") or {})), source=source,
                    families=families, events=events)
