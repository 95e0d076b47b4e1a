"""`cjm init`: a new series folder for a consultant - interviews/, a codebook to edit that extends
a journey preset, and a short guide. The files' text is data (`cjm/data/scaffold/`); nothing that
already exists is ever overwritten.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from string import Template

from .codebook import load_codebook, preset_names, presets_dir
from .errors import UsageError
from .model import CHANNEL, STAGE

EXAMPLE = "example-ru.txt"


def scaffold_dir() -> Path:
    return Path(str(resources.files("cjm") / "data" / "scaffold"))


def planned_files(folder: Path, preset: str) -> dict[Path, str]:
    """Each file `init` writes, with its text."""
    if preset not in preset_names():
        raise UsageError(f"unknown preset {preset!r} (known: {', '.join(preset_names())})")
    book = load_codebook(presets_dir() / f"{preset}.yaml")
    stages = [book.get(STAGE, s) for s in book.ids(STAGE)]
    values = {
        "preset": preset, "dir": folder.as_posix(), "title": folder.name or "cjm",
        "preset_name": " → ".join(s.name("en") for s in stages),
        "stages": "\n".join(f"- **{s.name('en')}** ({s.name('ru')}, `{s.id}`): {s.means}" for s in stages),
        "first_stage": book.ids(STAGE)[0],
        "groups": ", ".join(g.id for g in book.groups),
        "channels": ", ".join(book.ids(CHANNEL)),
        "model_note": model_note(set(book.ids(STAGE))),
    }
    source = scaffold_dir()
    return {
        folder / "interviews" / EXAMPLE: (source / EXAMPLE).read_text(encoding="utf-8"),
        folder / "codebook.yaml": Template((source / "codebook.yaml").read_text(encoding="utf-8")).substitute(values),
        folder / "GUIDE.md": Template((source / "GUIDE.md").read_text(encoding="utf-8")).substitute(values),
    }


def model_note(stages: set[str]) -> str:
    """Whether the shipped model can tag this preset's stages, or the rules will (and why)."""
    from .tagger_model import default_model

    model = default_model()
    if model is not None and model.stage_labels() == stages:
        return ""
    return ("\nThe model shipped with cjm was trained on the five default stages; with this preset the "
            "interviews are tagged by the codebook's rules (the report says so). Annotated interviews of "
            "this series can train a model for it: `cjm learn FOLDER --codebook codebook.yaml -o model.zip`.\n")


def scaffold(folder: Path, preset: str) -> list[Path]:
    """Write the series folder; refuse, writing nothing, where any of its files already exists."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: is a file, not a folder")
    files = planned_files(folder, preset)
    existing = [path for path in files if path.exists()]
    if existing:
        raise UsageError(f"{', '.join(str(p) for p in existing)}: already exists; cjm init never overwrites "
                         f"a file (move it away or choose another folder)")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
