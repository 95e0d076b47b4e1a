"""Stage 2d — decode: the learned model's decision on every utterance, with its probability.

The stage CRF reads the whole interview at once: each utterance's probabilities come from the
whole story (forward-backward), so transitions, back-steps and stalls are learned, not forced.
An utterance takes its likeliest stage, or none where P(no stage) passes the threshold chosen by
cross-validation at training time (a model without one takes the Viterbi path). Role and channel
candidates are accepted at P >= 0.5, or at their chosen thresholds. The mentions kept are those
that support a decided label; a label the model decides with no span behind it points at the
utterance's first sentence (origin "model"). An utterance that tells two neighbouring steps keeps
the second where its probability passes the threshold chosen at training time (`stage_second`;
a model without one gives each utterance one stage). The one rule the model cannot overrule: a deal is
not bought unless some utterance tells this client's payment, contract or delivery as done
(`purchase_told`). Where an utterance tells the discovery (decoded `informed`, or likely to be),
the channel classifier reads its words and gives P(channel) of every channel, kept apart from the
candidates' (`probabilities["channel_told"]`: the thresholds and calibration of the channel
labels never see it): a discovery told without a channel's name ("Through Gareth, two stalls
down from us") still has a likeliest channel (`journey.likeliest_channel`), never a label.
"""

from __future__ import annotations

from .codebook import Codebook
from .evidence import InterviewEvidence
from .features import candidates, stage_rows, tells_discovery, told_channel_features
from .model import CHANNEL, ROLE, STAGE, TOLD_CHANNEL, Mention, TaggedUtterance, Transcript
from .tagger_model import NONE, TaggerModel

ACCEPT = 0.5
PURCHASE = "bought"


def purchase_told(by_rules: list[TaggedUtterance], transcript: Transcript, codebook: Codebook) -> bool:
    """This client's purchase from this supplier told as done somewhere in the interview
    (`cjm.outcome.purchase_clues`: a purchase phrase in the past, a purchase word with its date, a
    date in answer to "when did you pay?"; never an NDA, a plan, another supplier's repeat order).

    (Also requiring the model to read that utterance as the purchase was tried: on the training
    folds it cost as many real purchases as it saved stalled deals.)"""
    from .outcome import told_purchases

    return bool(told_purchases(by_rules, transcript, codebook))


def decode(evidence: InterviewEvidence, by_rules: list[TaggedUtterance], model: TaggerModel,
           codebook: Codebook) -> list[TaggedUtterance]:
    """Every utterance with the model's labels, supporting mentions and probabilities."""
    respondent = evidence.respondent
    rows, contexts = stage_rows(evidence, by_rules, codebook.ids(STAGE))
    best, marginals = model.stage_marginals(rows)
    known = set(codebook.ids(STAGE))
    reported = known | {NONE}  # the stage probabilities kept: the codebook's stages and "no stage"
    bought_allowed = purchase_told(by_rules, evidence.transcript, codebook)
    decided: dict[int, dict[str, list[str]]] = {}
    probabilities: dict[int, dict[str, dict[str, float]]] = {}
    no_stage_above = model.threshold("stage_none", None)
    second_above = model.threshold("stage_second", None)  # an utterance that tells two neighbouring steps
    order_of_stages = codebook.ids(STAGE)
    discoveries: list[tuple[int, dict[str, float]]] = []  # the utterances whose words tell a channel
    for item, row, label, marginal in zip(respondent, rows, best, marginals):
        if no_stage_above is not None:  # posterior decoding, "no stage" only when the model is that sure
            label = NONE if marginal.get(NONE, 0.0) > no_stage_above else \
                max((s for s in marginal if s != NONE), key=lambda s: marginal[s])
        if label == PURCHASE and not bought_allowed:
            label = max((s for s in marginal if s != PURCHASE), key=lambda s: marginal[s])
        stages = [label] if label in known else []
        if stages and second_above is not None:
            allowed = {s: p for s, p in marginal.items() if bought_allowed or s != PURCHASE}
            stages = list(with_second_stage(set(stages), allowed, order_of_stages, second_above))  # `labelled` orders them
        decided[item.n] = {STAGE: stages, ROLE: [], CHANNEL: []}
        if tells_discovery(stages, marginal):
            discoveries.append((item.n, told_channel_features(row)))
        kept = marginal if marginal.keys() <= reported else {s: p for s, p in marginal.items() if s in reported}
        probabilities[item.n] = {STAGE: model.calibrated_all(STAGE, kept),
                                 ROLE: {}, CHANNEL: {}}
    for kind, member in ((ROLE, "roles"), (CHANNEL, "channels")):
        found = candidates(evidence, by_rules, rows, kind, (best, marginals), contexts)
        known_labels = set(codebook.ids(kind))
        for candidate, p in zip(found, model.accept(member, [c.features for c in found])):
            probabilities[candidate.n][kind][candidate.label] = model.calibrated(kind, p)
            if p >= model.threshold(kind, ACCEPT) and candidate.label in known_labels:
                decided[candidate.n][kind].append(candidate.label)
    channels = set(codebook.ids(CHANNEL))
    for (n, _), told in zip(discoveries, model.told_channels([row for _, row in discoveries])):
        probabilities[n][TOLD_CHANNEL] = {label: round(p, 4) for label, p in told.items() if label in channels}
    order = {kind: codebook.ids(kind) for kind in (STAGE, ROLE, CHANNEL)}
    return [labelled(item, decided.get(item.n), probabilities.get(item.n, {}), order) for item in evidence.tagged]


def with_second_stage(stages: set[str], marginal: dict[str, float], order: list[str], threshold: float | None) -> set[str]:
    """An utterance that tells two steps ("нашли вас в Яндексе, оставили заявку": informed and
    interested) keeps a neighbouring stage of the one it took where the model gives it at least
    `threshold` (none: one stage an utterance)."""
    if threshold is None or len(stages) != 1:
        return stages
    first = next(iter(stages))
    if first not in order:
        return stages
    near = [s for s in order if abs(order.index(s) - order.index(first)) == 1]
    second = max(near, key=lambda s: marginal.get(s, 0.0), default=None)
    return stages | {second} if second is not None and marginal.get(second, 0.0) >= threshold else stages


def labelled(item: TaggedUtterance, decided: dict[str, list[str]] | None,
             probabilities: dict[str, dict[str, float]], order: dict[str, list[str]]) -> TaggedUtterance:
    """A new utterance record: the decided labels, the mentions that support them, the rest
    suppressed (`order`: the codebook's labels of each kind, in its order)."""
    if decided is None:  # an interviewer's turn, or an empty one
        return relabelled(item, mentions=[], suppressed=list(item.suppressed), cues=set(item.cues),
                          stages=[], roles=[], channels=[], probabilities={})
    mentions, dropped = [], list(item.suppressed)
    for m in item.mentions:
        (mentions if m.label in decided[m.kind] else dropped).append(m)
    start, end = item.sentences[0] if item.sentences else (0, len(item.utterance.text))
    for kind in (STAGE, ROLE, CHANNEL):
        for label in decided[kind]:
            if not any(m.kind == kind and m.label == label for m in mentions):
                mentions.append(Mention(kind, label, start, end, item.utterance.text[start:end], 0, origin="model"))
    mentions.sort(key=lambda m: (m.start, m.end, m.kind, m.label))
    return relabelled(item, mentions=mentions, suppressed=dropped, cues=set(item.cues),
                      stages=[i for i in order[STAGE] if i in decided[STAGE]],
                      roles=[i for i in order[ROLE] if i in decided[ROLE]],
                      channels=[i for i in order[CHANNEL] if i in decided[CHANNEL]],
                      probabilities=probabilities)


def relabelled(item: TaggedUtterance, **changes) -> TaggedUtterance:
    """`dataclasses.replace(item, **changes)` without its per-field checks (a third of its cost, for
    every utterance of every interview): the other fields are shared with `item`, as there."""
    new = object.__new__(TaggedUtterance)
    new.__dict__.update(item.__dict__)
    new.__dict__.update(changes)
    return new
