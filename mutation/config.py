"""What the mutation runner mutates and which fast tests judge each mutant.

One entry per target: the module (a path inside the package, or the codebook YAML), the test files
and an optional `-k` expression that select the tests fast enough to run once per mutant, `only`
(top-level functions/classes to mutate; None = the whole module) and `limit` (a seeded sample of
that many mutants where the module yields more). The slow end-to-end tests (the sample report,
the browser, hypothesis fuzzing, the accuracy floor) are left out on purpose: a mutant they alone
would kill counts as surviving here.
"""

from __future__ import annotations

SEED = 14
TIMEOUT_FACTOR = 4.0  # a mutant's tests may take this many times the clean run (plus TIMEOUT_SLACK) ...
TIMEOUT_SLACK = 20.0  # ... before it counts as killed by timeout (an infinite loop is a break too)


TARGETS: dict[str, dict] = {
    "evidence": {"path": "cjm/evidence.py", "tests": ["tests/test_evidence.py"], "limit": 30},
    "rules": {"path": "cjm/rules.py", "tests": ["tests/test_rules.py", "tests/test_evidence.py"],
              "limit": 25},
    "rules_decision": {"path": "cjm/rules_decision.py", "tests": ["tests/test_rules_decision.py", "tests/test_tag.py"],
                       "limit": 25},
    "features": {"path": "cjm/features.py", "tests": ["tests/test_features_snapshot.py", "tests/test_features.py"],
                 "limit": 25},
    "decode": {"path": "cjm/decode.py", "limit": 25, "tests": ["tests/test_decode.py"]},
    "tagger_model": {"path": "cjm/tagger_model.py", "tests": ["tests/test_tagger_model.py", "tests/test_features_snapshot.py"],
                     "limit": 25},
    "journey": {"path": "cjm/journey.py", "tests": ["tests/test_journey_fields.py", "tests/test_journey.py"], "limit": 30},
    "outcome": {"path": "cjm/outcome.py", "tests": ["tests/test_journey_outcome.py", "tests/test_journey_fields.py"], "limit": 25},
    "durations": {"path": "cjm/durations.py", "tests": ["tests/test_durations_edges.py", "tests/test_durations.py"], "limit": 20},
    "aggregate_stats": {"path": "cjm/aggregate.py", "tests": ["tests/test_aggregate_stats.py"], "limit": 25,
                        "only": ["NOISE_P", "Tested", "Share", "Spread", "Comparison", "fisher", "mann_whitney",
                                 "compare", "_select"]},
    "cache_size": {"path": "cjm/cache.py", "tests": ["tests/test_cache.py"],
                   "k": "limit or pruned or tidy or clear or young or used_and_wrote",
                   "only": ["max_bytes", "usage", "own_files", "prune", "tidy", "clear", "_read_estimate",
                            "_write_estimate"], "limit": 40},
    "cli": {"path": "cjm/cli.py", "tests": ["tests/test_cli_options.py", "tests/test_cli_run.py", "tests/test_cli.py"],
            "k": "not sample_series and not evaluate_command and not python_dash_m", "limit": 20},
    # One phrase removed at a time from the cue families the tagger's guards read (their examples:
    # tests/data/cue_examples.yaml). Not sampled: the label patterns, clause breaks, the situation and
    # duration lexicons (their phrases overlap by design; removing one rarely changes a label).
    "codebook.yaml": {"path": "cjm/data/codebook.yaml", "tests": ["tests/test_evidence.py", "tests/test_journey_fields.py"],
                      "limit": 25,
                      "families": ["cues.negation", "cues.hypothetical", "cues.hypothetical_idioms", "cues.habitual",
                                   "cues.advice", "cues.not_this_journey", "cues.counterfactual",
                                   "cues.supplier_side", "lexicons.lost_deal", "lexicons.advice_questions",
                                   "lexicons.aside_questions", "lexicons.contact_at_discovery",
                                   "lexicons.first_contact_priority"]},
    "render_escaping": {"path": "cjm/render.py", "limit": 25, "tests": ["tests/test_render_escaping.py", "tests/test_output.py"],
                        "k": "escaping or plain_id or stable_hash or bounded_and_safe or collide",
                        "only": ["report_data", "slug", "Builder.segments", "Builder._file_names", "environment", "plotly_text",
                                 "plotly_texts"]},
    # The end-to-end `cjm report --redact` tests (20 s and more) and the fuzzing are left to the suite.
    "redact": {"path": "cjm/redact.py", "tests": ["tests/test_redact.py"], "limit": 25,
               "k": "not output_tree and not in_any_output and not any_text_does_not_fail"},
}

# Mutants that change nothing a caller can see: target -> mutant ("LINE:COL operator", or the operator
# alone for codebook phrases) -> why. They count as neither killed nor surviving; mutation/EQUIVALENT.md
# says how each was checked.
SUBSUMED = "another phrase of the family matches every text this one does"
EQUIVALENT: dict[str, dict[str, str]] = {
    "journey": {
        "252:8 if:body->pass": "stage_steps with no stage left in the utterance: without the continue, nothing after it "
                               "adds a step (the recap filter needs two stages, the loop runs over none)",
        "253:12 statement:continue->pass": "the same line's continue: with an empty order nothing below it acts",
        "254:61 number:1->2": "current = -1 or -2 with no path yet: it is compared only with stage indexes (>= 0)",
    },
    "outcome": {
        "78:8 return:False->True": "negated_near's 'no word inside the hit': every hit it is given comes from find_in over "
                                   "the same words, spanning at least one of them, so the branch never runs",
    },
    "features": {
        "59:4 if:condition->True": "the parse's word summary is a cache: recomputing it every time gives the same summary",
        "144:27 number:1->2": "last_at starts at -1 or -2: it is only ever compared with >= 0 until an utterance sets it",
    },
    "durations": {
        "75:11 compare0:>=->>": "'с половиной' right at the start (j == 1): with or without the half, no number "
                                "stands before it, so both take the same path to the same result",
    },
    "aggregate_stats": {
        "759:66 number:0.0->1.0": "the share of a side with no interviews: with no ids no event is counted, so the "
                                  "loop that writes it never runs",
    },
    "evidence": {
        "431:4 if:body->pass": "no named person known: the loop after it looks every name up in the empty table "
                               "and adds nothing, so returning early only saves the work",
        "468:13 number:64->65": "the batch size of nlp.pipe: spaCy parses each text on its own, so batches of 64 "
                                "or 65 give the same parses",
    },
    "tagger_model": {
        "134:7 compare0:<=-><": "p equal to the first point's x: the loop's first segment gives y0 + slope * 0 = y0 "
                                "(or y0 itself for a tie of x, or the one point's y), the same as the early return",
    },
    "redact": {
        "188:16 if:condition->True": "a person's number listed twice under one form: every reader of by_form takes "
                                     "a set of it or asks membership, so a duplicate is never seen",
        "438:8 if:body->pass": "a speaker known by initials: every speaker was registered by its initials while "
                               "collecting, and text() replaces registered initials with the same placeholder",
    },
    "codebook.yaml": {
        "phrase:cues.negation.ru:'ни разу'->removed": SUBSUMED + " ('ни')",
        "phrase:cues.negation.en:\"n't\"->removed": SUBSUMED + " ('not': spaCy's lemma of \"n't\")",
        "phrase:cues.hypothetical.en:\"'ll\"->removed": SUBSUMED + " ('will': the lemma of \"'ll\")",
        "phrase:cues.hypothetical.en:'was|were supposed to'->removed": SUBSUMED + " ('suppose')",
        "phrase:cues.habitual.ru:'у нас принято'->removed": SUBSUMED + " ('принято')",
        "phrase:cues.counterfactual.ru:'а если бы'->removed": SUBSUMED + " ('если бы')",
    },
}
