"""The whole run as one library call: folder in, journeys (and the problems met) out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .codebook import Codebook, load_codebook
from .ingest import read_folder
from .journey import derive_journey
from .model import Journey, Problem, Transcript
from .tagger_model import TaggerModel, default_model, load_model
from .review import ReviewMatch, load_reviews, match_review, review_path, review_summary, reviewed_utterances, use_review
from .rules import validate_patterns
from .tag import tag_transcript


@dataclass
class RunResult:
    journeys: list[Journey]
    problems: list[Problem]
    codebook: Codebook
    inputs: list[str] = field(default_factory=list)  # every file looked at, read or not


def analyse(folder: str | Path, *, codebook: str | Path | Codebook | None = None,
            language: str | None = None, redact: bool = False,
            model: TaggerModel | str | Path | None = None, rules_only: bool = False,
            use_reviews: bool = True) -> RunResult:
    """Ingest, tag and derive the journey of every interview in a folder (or one file).

    The labels come from `model` (a path or a loaded one; default: the model shipped with cjm),
    or from the rules alone with `rules_only`. A person's corrections stored beside the
    interviews (`reviewed/`, see cjm.review) win over both unless `use_reviews` is off.
    """
    book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    validate_patterns(book)
    tagger = None if rules_only else resolve_model(model)
    transcripts, problems = read_folder(folder, language=language)  # raises when nothing is readable
    reviews, unreadable = load_reviews(folder) if use_reviews else ({}, [])
    problems += [Problem(str(path), f"{why}: its corrections were not used") for path, why in unreadable]
    if Path(folder).is_dir():
        orphans = sorted(set(reviews) - {t.id for t in transcripts})
        problems += [Problem(str(review_path(folder, ident)), "a review of an interview that is not in the folder: "
                             "not used") for ident in orphans]
    matches = {t.id: match_review(reviews[t.id], t.utterances, book) for t in transcripts if t.id in reviews}
    if redact:  # (the reviews were matched first: they know the text as it was written)
        from .redact import redact_transcripts

        transcripts = redact_transcripts(transcripts)
    journeys = [analyse_transcript(t, book, tagger, matches.get(t.id)) for t in transcripts]
    inputs = sorted({t.source for t in transcripts} | {p.source for p in problems})
    return RunResult(journeys=journeys, problems=problems, codebook=book, inputs=inputs)


def analyse_transcript(transcript: Transcript, codebook: Codebook, model: TaggerModel | None = None,
                       review: ReviewMatch | None = None) -> Journey:
    tagged = tag_transcript(transcript, codebook, model)
    if review is not None:  # a person's labels go in before the journey fields are derived from them
        tagged = reviewed_utterances(transcript, tagged, review)
    journey = derive_journey(transcript, tagged, codebook)
    journey = calibrate_journey(journey, model) if model is not None else journey
    journey.review = review_summary(journey, review)
    return use_review(journey, review, codebook) if review is not None else journey


def calibrate_journey(journey: Journey, model: TaggerModel) -> Journey:
    """The fields' raw confidence -> how often such a field was right in cross-validation."""
    journey.confidence = {name: {k: model.calibrated("role", v) for k, v in value.items()} if name == "roles"
                          else model.calibrated(f"journey.{name}", value)
                          for name, value in journey.confidence.items()}
    return journey


def resolve_model(model: TaggerModel | str | Path | None) -> TaggerModel | None:
    """A loaded model, the one at a path, or the shipped default (None where cjm ships none)."""
    if isinstance(model, TaggerModel):
        return model
    return load_model(model) if model is not None else default_model()
