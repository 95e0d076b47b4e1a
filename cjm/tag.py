"""Stage 2 — tag: utterances in, labelled utterances (stages, roles, channels) out.

Three steps, one module each, data flowing one way:
  evidence        every utterance parsed once; the codebook's matches with their context
  rules_decision  the hand-written passes: the rules-only labels (a baseline, and features)
  decode          the learned sequence model reads both and decides, with a probability per label
The interviewer's turns are not tagged.
"""

from __future__ import annotations

from .codebook import Codebook
from .evidence import InterviewEvidence, extract_evidence
from .model import TaggedUtterance, Transcript
from .nlp import pipeline
from .outcome import record_purchases
from .qualification import find_signals
from .rules import get_rules
from .rules_decision import decide_by_rules


def read_and_rule(transcript: Transcript, codebook: Codebook) -> tuple[InterviewEvidence, list[TaggedUtterance]]:
    """The evidence of one interview (parsed once) and the rules' decision on it: all the model reads."""
    nlp = pipeline(transcript.language)
    evidence = extract_evidence(transcript, get_rules(codebook, transcript.language), nlp)
    find_signals(evidence, codebook)  # lead qualification: cues on the utterances, not labels
    record_purchases(evidence.tagged, transcript, codebook)  # a purchase told as done: the guard and the outcome read it
    return evidence, decide_by_rules(evidence, codebook)


def tag_transcript(transcript: Transcript, codebook: Codebook, model=None) -> list[TaggedUtterance]:
    """Label every utterance of one interview: by the learned `model` where one is given, else by the rules."""
    evidence, by_rules = read_and_rule(transcript, codebook)
    if model is None:
        return by_rules
    from .decode import decode

    return decode(evidence, by_rules, model, codebook)
