"""Who made the first contact, chosen by a trained model over the roles the decoded interview names.

`journey.first_contact`'s order of rules reads the roles and stages one utterance at a time, and
the first role it meets from the first contact on wins. Here every role of the interview is a
candidate with the evidence for it — where it is first named against the first discovery and the
first request, how often, how sure the role model was, whether it is the storyteller's own role,
whether the rules pick it — and a binary classifier trained on cross-validated decodes (each
interview decoded by a model that never saw it, as at run time) gives each candidate P(first
contact); the likeliest is taken. Evidence is data here too: the rules' pick is one feature,
never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import ROLE, TaggedUtterance

MEMBER = "first_contact"  # the model's member (cjm.tagger_model.OPTIONAL)
MAX_COUNT = 5


@dataclass(frozen=True)
class ContactStory:
    """What the chooser reads of one interview: its respondent's utterances, where the discovery
    and the first request are first told (indices into `respondent`), the rules' pick and the
    storyteller's own role, each with the utterance it was found in."""

    respondent: list[TaggedUtterance]
    discovery: int | None
    interest: int | None
    by_rules: tuple[str | None, int | None]
    own: tuple[str | None, int | None]


def first_index(respondent: list[TaggedUtterance], stage: str | None) -> int | None:
    return next((i for i, t in enumerate(respondent) if stage is not None and stage in t.stages), None)


def distance_bucket(distance: int | None) -> str:
    """Where a role is first named against a stage's first utterance."""
    if distance is None:
        return "never"
    if distance < 0:
        return "before"
    if distance == 0:
        return "0"
    return "1-2" if distance <= 2 else "3-5" if distance <= 5 else "later"


def first_named_from(named: list[int], start: int | None) -> int | None:
    """How many utterances after `start` the role is first named (-1: only before it)."""
    if start is None:
        return None
    after = [i - start for i in named if i >= start]
    return after[0] if after else (-1 if named else None)


def candidates(story: ContactStory) -> dict[str, dict[str, float]]:
    """Each candidate role with its features (sorted by role: crfsuite sums weights in the order read)."""
    order: list[str] = []  # the roles in the order first named
    named: dict[str, list[int]] = {}
    for index, item in enumerate(story.respondent):
        for role in item.roles:
            if role not in named:
                order.append(role)
            named.setdefault(role, []).append(index)
    by_rules, own = story.by_rules[0], story.own[0]
    found = set(order) | {r for r in (by_rules, own) if r}
    out: dict[str, dict[str, float]] = {}
    for role in sorted(found):
        at = named.get(role, [])
        features = {"bias": 1.0, f"role={role}": 1.0,
                    f"rank={order.index(role) if role in order else 'none'}": 1.0,
                    f"count={min(len(at), MAX_COUNT)}": 1.0,
                    f"discovery={distance_bucket(first_named_from(at, story.discovery))}": 1.0,
                    f"interest={distance_bucket(first_named_from(at, story.interest))}": 1.0,
                    "p_max": max((story.respondent[i].probabilities.get(ROLE, {}).get(role, 0.0) for i in at),
                                 default=0.0)}
        if role == by_rules:
            features["rules"] = features[f"rules|{role}"] = 1.0
        if role == own:
            features["own"] = features[f"own|{role}"] = 1.0
        out[role] = dict(sorted(features.items()))
    return out


def choose(scores: dict[str, float]) -> tuple[str | None, float | None]:
    """The likeliest candidate (ties: the earliest role id) and its P(first contact): by 5-fold CV
    of the 201 that P is as well calibrated as it comes (ECE 0.07; an isotonic map fitted on the
    calibration folds' candidates gave 0.12, its choosers trained on fewer interviews than the
    final one)."""
    if not scores:
        return None, None
    best = min(scores, key=lambda role: (-scores[role], role))
    return best, round(scores[best], 4)


def evidence_of(story: ContactStory, role: str) -> int | None:
    """The utterance shown for the chosen role: where the rules found it, else its first from the
    first request on, its first, or where the storyteller's own role was found."""
    if story.by_rules[0] == role:
        return story.by_rules[1]
    named = [i for i, item in enumerate(story.respondent) if role in item.roles]
    start = story.interest if story.interest is not None else story.discovery
    later = [i for i in named if start is None or i >= start]
    if later or named:
        return story.respondent[(later or named)[0]].n
    return story.own[1] if story.own[0] == role else None
