"""cjm review: the sheet, its validation, the stored corrections and every later run using them."""

import csv
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cjm.cli import cli
from cjm.codebook import load_codebook
from cjm.evaluate import evaluate, load_gold
from cjm.model import Utterance
from cjm.review import (align, formula_safe, formula_unsafe, match_review, normalise, read_review,
                        text_key)

ROOT = Path(__file__).resolve().parents[1]
SERIES = Path(__file__).parent / "data" / "review" / "series"
SAMPLE = ROOT / "interviews"
KINDS = ("stages", "roles", "channels")


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def sheet_rows(path: Path, name: str = "utterances") -> tuple[list[str], list[dict]]:
    book = openpyxl.load_workbook(path)
    rows = list(book[name].iter_rows(values_only=True))
    header = list(rows[0])
    return header, [dict(zip(header, r)) for r in rows[1:]]


def set_cells(path: Path, changes: list[tuple[int, str, object]], name: str = "utterances") -> None:
    """Write (sheet row, column name, value) into a review sheet as a person would."""
    book = openpyxl.load_workbook(path)
    sheet = book[name]
    header = [c.value for c in sheet[1]]
    for row, column, value in changes:
        sheet.cell(row=row, column=header.index(column) + 1).value = value
    book.save(path)


def column_values(path: Path, column: str, name: str = "utterances") -> list[object]:
    """The values of one column of a review sheet, from row 2 on."""
    sheet = openpyxl.load_workbook(path)[name]
    header = [c.value for c in sheet[1]]
    return [row[header.index(column)].value for row in sheet.iter_rows(min_row=2)]


def labels_of(interview: dict) -> dict[int, dict[str, list[str]]]:
    return {u["n"]: {k: u[k] for k in KINDS} for u in interview["utterances"]}


# --------------------------------------------------------------------------- text identity, alignment

def test_normalised_text_ignores_punctuation_case_and_spacing_but_not_words():
    assert normalise("Мы  оплатили счёт, в МАРТЕ!") == normalise("мы оплатили счет в марте")
    assert text_key("We paid in March.") == text_key("we paid  in march")
    assert text_key("We paid in March.") != text_key("We paid in May.")


def test_formula_safe_guards_every_formula_start_and_round_trips():
    for text in ("=HYPERLINK(\"http://x\")", "+7 999", "-", "@sum", "\tx"):
        assert formula_safe(text) == "'" + text
        assert formula_unsafe(formula_safe(text)) == text
    assert formula_safe("Plain answer = fine") == "Plain answer = fine"
    assert formula_safe(42) == 42
    assert formula_unsafe("'quoted on purpose") == "'quoted on purpose"


def test_alignment_follows_text_through_inserts_edits_and_repeats():
    old = ["a", "yes", "b", "yes", "c"]
    new = ["new", "a", "yes", "b2", "yes", "c"]  # one inserted, b edited, the two "yes" stay in place
    assert align(old, new) == {0: 1, 1: 2, 3: 4, 4: 5}
    assert align(["x", "y", "z"], ["y", "z", "x"])[0] == 2  # a moved, unique text is still found


def utterances(texts: list[str]) -> list[Utterance]:
    """Interviewer/respondent turns, numbered as ingest numbers them."""
    out = []
    for i, text in enumerate(texts):
        out += [Utterance(2 * i + 1, "I", "Question?", True), Utterance(2 * i + 2, "R", text)]
    return out


def test_an_edited_transcript_keeps_unchanged_reviews_and_flags_the_changed_one():
    book = load_codebook()
    texts = ["We found them at the expo.", "Paul signed the lease.", "Yes.", "We paid in November."]
    review = {"id": "x", "review": {"snapshot": {str(u.n): text_key(u.text) for u in utterances(texts) if not u.is_interviewer}},
              "utterances": [{"n": 2, "text": texts[0], "stages": ["informed"], "roles": [], "channels": ["exhibition"]},
                             {"n": 4, "text": texts[1], "stages": ["bought"], "roles": ["big_boss"], "channels": []},
                             {"n": 8, "text": texts[3], "stages": ["bought"], "roles": [], "channels": []}]}
    edited = ["Hello.", "We found them at the expo!", "Paul signed the contract.", "Yes.", "We paid in November."]
    match = match_review(review, utterances(edited), book)
    assert match.labels == {4: {"stages": ["informed"], "roles": [], "channels": ["exhibition"]},
                            10: {"stages": ["bought"], "roles": [], "channels": []}}
    assert match.changed == [6] and match.removed == 0
    assert match.note() == "1 utterance(s) changed since review: #6 (tagged again, not marked reviewed)"
    unchanged = match_review(review, utterances(texts), book)
    assert sorted(unchanged.labels) == [2, 4, 8] and unchanged.note() is None


def test_a_review_without_text_is_matched_by_number_and_unknown_labels_are_dropped():
    review = {"id": "x", "channel": "referral",
              "utterances": [{"n": 2, "stages": ["informed", "dreaming"], "roles": [], "channels": []}]}
    match = match_review(review, utterances(["a", "b"]), load_codebook())
    assert match.labels == {2: {"stages": ["informed"], "roles": [], "channels": []}}
    assert match.dropped == ["stage 'dreaming'"] and match.fields == {"channel": "referral"}


# --------------------------------------------------------------------------- the small series: sheet, CLI messages

@pytest.fixture(scope="module")
def series_sheet(tmp_path_factory):
    """The fixture series copied, and the review sheet cjm writes for it."""
    where = tmp_path_factory.mktemp("series")
    folder = where / "series"
    shutil.copytree(SERIES, folder)
    result = run("review", folder, "-o", where / "review.xlsx")
    assert result.exit_code == 0, result.output
    return folder, where / "review.xlsx", result.output


def fresh(series_sheet, tmp_path) -> tuple[Path, Path]:
    folder, sheet, _ = series_sheet
    shutil.copytree(folder, tmp_path / "series")
    shutil.copy(sheet, tmp_path / "review.xlsx")
    return tmp_path / "series", tmp_path / "review.xlsx"


def test_review_writes_one_row_per_respondent_utterance_least_certain_first(series_sheet):
    folder, sheet, output = series_sheet
    assert output == (f"11 utterance(s) of 2 interview(s), 0 reviewed before: {sheet}\n"
                      f"fill the *_fix and ok columns, then: cjm review --apply {sheet} {folder}\n")
    header, rows = sheet_rows(sheet)
    assert header[:6] == ["interview", "n", "speaker", "time", "text", "ok"]
    assert {"stages_fix", "roles_fix", "channels_fix", "stages_p", "roles_evidence"} <= set(header)
    assert [r["interview"] for r in rows] == ["en-r1"] * 6 + ["ru-r1"] * 5
    for interview in ("en-r1", "ru-r1"):
        certainty = [r["certainty"] for r in rows if r["interview"] == interview]
        assert certainty == sorted(certainty) and all(0 <= c <= 1 for c in certainty)
    expo = next(r for r in rows if r["interview"] == "en-r1" and r["n"] == 4)
    assert expo["time"] == "00:00:18" and expo["text"].startswith("At the Food Expo")
    assert "exhibition" in expo["channels"] and "exhibition" in expo["channels_p"]
    assert re.search(r"exhibition: “[^”]+”", expo["channels_evidence"])
    assert all(r[k] is None for r in rows for k in ("ok", "stages_fix", "roles_fix", "channels_fix"))
    book = openpyxl.load_workbook(sheet)
    assert book["utterances"].freeze_panes == "G2"
    assert book.sheetnames == ["utterances", "interviews", "labels"]
    lists = {str(v.sqref): v.formula1 for v in book["utterances"].data_validations.dataValidation}
    assert lists["H2:H12"] == "'labels'!$B$2:$B$7"  # stages_fix offers '-' and the five stage ids
    assert [c.value for c in book["labels"]["B"][1:7]] == ["-", "unaware", "informed", "interested", "motivated", "bought"]
    _, fields = sheet_rows(sheet, "interviews")
    assert [(f["interview"], f["channel"]) for f in fields] == [("en-r1", "exhibition"), ("ru-r1", "referral")]


def test_review_needs_exactly_one_of_output_and_apply(series_sheet):
    folder, sheet, _ = series_sheet
    for args in ([], ["-o", sheet, "--apply", sheet]):
        result = run("review", folder, *args)
        assert result.exit_code == 2
        assert "Error: give -o SHEET to write a review sheet, or --apply SHEET to store its corrections" in result.output
    result = run("review", folder, "-o", "review.txt")
    assert result.exit_code == 2 and "Invalid value for -o: review.txt: give a name ending in .xlsx or .csv" in result.output


def test_an_untouched_sheet_stores_nothing(series_sheet, tmp_path):
    folder, sheet = fresh(series_sheet, tmp_path)
    result = run("review", "--apply", sheet, folder)
    assert result.exit_code == 0
    assert result.output == f"{sheet}: no reviewed rows (mark 'ok' or fill a *_fix cell); nothing stored\n"
    assert not (folder / "reviewed").exists()


def test_apply_stores_the_contract_gold_shape_and_merges_later_sheets(series_sheet, tmp_path):
    folder, sheet = fresh(series_sheet, tmp_path)
    _, rows = sheet_rows(sheet)
    at = {(r["interview"], r["n"]): i + 2 for i, r in enumerate(rows)}
    set_cells(sheet, [(at["en-r1", 2], "roles_fix", "user"), (at["en-r1", 4], "ok", "x"),
                      (at["ru-r1", 4], "roles_fix", "guru, expert"), (at["ru-r1", 10], "stages_fix", "unaware")])
    set_cells(sheet, [(2, "cycle_days_fix", 55)], "interviews")
    result = run("review", "--apply", sheet, folder)
    assert result.exit_code == 0, result.output
    assert result.output == ("4 utterance(s) reviewed (3 corrected), 1 interview row(s) reviewed: "
                             f"stored in {folder / 'reviewed'} (2 file(s))\n")
    en = json.loads((folder / "reviewed" / "en-r1.reviewed.json").read_text(encoding="utf-8"))
    assert {k: en[k] for k in ("id", "channel", "channel_group", "cycle_days")} == \
        {"id": "en-r1", "channel": "exhibition", "channel_group": "event", "cycle_days": 55}
    assert [(u["n"], u["roles"], u["corrected"]) for u in en["utterances"]] == [(2, ["user"], ["roles"]), (4, ["expert"], [])]
    assert en["utterances"][0]["text_key"] == text_key(en["utterances"][0]["text"])
    assert sorted(en["review"]["snapshot"], key=int) == ["2", "4", "6", "8", "10", "12"]
    ru = json.loads((folder / "reviewed" / "ru-r1.reviewed.json").read_text(encoding="utf-8"))
    assert "channel" not in ru  # its interview row was left alone
    assert [(u["n"], u["roles"], u["stages"]) for u in ru["utterances"]] == \
        [(4, ["expert", "guru"], ["informed"]), (10, [], ["unaware"])]  # a fix the model's labels never equal
    # a second sheet reviews other rows; the first sheet's reviews are kept
    second = tmp_path / "second.xlsx"
    shutil.copy(series_sheet[1], second)
    set_cells(second, [(at["en-r1", 6], "stages_fix", "motivated")])
    assert run("review", "--apply", second, folder).exit_code == 0
    en = json.loads((folder / "reviewed" / "en-r1.reviewed.json").read_text(encoding="utf-8"))
    assert [(u["n"], u["stages"] if u["n"] == 6 else u["roles"]) for u in en["utterances"]] == \
        [(2, ["user"]), (4, ["expert"]), (6, ["motivated"])]
    assert en["cycle_days"] == 55
    # evaluate reads reviewed files, scoring only what a person checked
    gold = load_gold(folder / "reviewed")
    assert sorted(gold) == ["en-r1", "ru-r1"]
    document = {"interviews": [{"id": "en-r1", "channel": "exhibition", "cycle_days": 60, "utterances": [
        {"n": 2, "stages": [], "roles": ["expert"], "channels": []},
        {"n": 4, "stages": ["informed"], "roles": ["expert"], "channels": ["exhibition"]},
        {"n": 6, "stages": ["motivated"], "roles": [], "channels": []},
        {"n": 8, "stages": ["bought"], "roles": ["user"], "channels": []}]}]}
    scored = evaluate(document, {"en-r1": gold["en-r1"]})
    figures = scored.as_dict()
    assert figures["utterance"]["roles"]["micro"]["support"] == 4  # #2 user, #4 expert, #6 expert and treasurer
    assert scored.labels["roles"]["user"].fp == 0  # #8 was not reviewed: its "user" is not counted either way
    assert figures["utterance"]["roles"]["labels"]["expert"]["precision"] == 0.5
    assert figures["interview"]["cycle_days"] == {"accuracy": 1.0, "n": 1}  # 60 is within 25% of 55
    assert "furthest_stage" not in figures["interview"]  # not reviewed: not scored


def refusal(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.output


def test_a_malformed_sheet_is_refused_with_row_and_column_and_nothing_stored_is_lost(series_sheet, tmp_path):
    folder, sheet = fresh(series_sheet, tmp_path)
    set_cells(sheet, [(2, "ok", "yes")])
    assert run("review", "--apply", sheet, folder).exit_code == 0
    stored = {p.name: p.read_bytes() for p in (folder / "reviewed").iterdir()}
    original = sheet.read_bytes()

    def attempt(changes, name="utterances") -> str:
        sheet.write_bytes(original)
        set_cells(sheet, changes, name)
        out = refusal(run("review", "--apply", sheet, folder))
        assert {p.name: p.read_bytes() for p in (folder / "reviewed").iterdir()} == stored
        return out

    assert attempt([(1, "stages_fix", "stage_fix")]) == (
        f"Error: {sheet}: refused, nothing was stored (1 problem(s)):\n"
        "  sheet 'utterances' row 1, column H: header 'stage_fix' where 'stages_fix' was expected\n")
    assert attempt([(1, "text_key", None), (1, "ok", "channels")]) == (
        f"Error: {sheet}: refused, nothing was stored (3 problem(s)):\n"
        "  sheet 'utterances' row 1, column O: a second 'channels' column\n"
        "  sheet 'utterances' row 1: no 'ok' column\n"
        "  sheet 'utterances' row 1: no 'text_key' column\n")
    assert attempt([(3, "stages_fix", "intrested"), (5, "n", "four"), (6, "ok", "maybe")]) == (
        f"Error: {sheet}: refused, nothing was stored (3 problem(s)):\n"
        "  sheet 'utterances' row 3, column H (stages_fix): unknown stage 'intrested'; "
        "known: unaware, informed, interested, motivated, bought\n"
        "  sheet 'utterances' row 5, column B (n): the utterance number must be a whole number from 1, not 'four'\n"
        "  sheet 'utterances' row 6, column F (ok): 'maybe' is not a mark: put x (or yes, ok, 1) to confirm the row, "
        "or leave it empty\n")
    assert attempt([(4, "roles_fix", "expert, - ")]) .endswith(
        "row 4, column L (roles_fix): unknown role '-' ('-' alone means none); "
        "known: big_boss, expert, gatekeeper, user, treasurer, guru\n")
    assert attempt([(3, "interview", "acme-01")]).endswith(
        f"  sheet 'utterances' row 3, column A (interview): 'acme-01' is not an interview of {folder} "
        "(a sheet of another series?)\n")
    listed = set(zip(column_values(series_sheet[1], "interview"), column_values(series_sheet[1], "n")))
    free = next(n for n in range(1, 100) if ("en-r1", n) not in listed)  # on no row: only rows 2 and 3 clash
    assert attempt([(3, "n", free), (3, "interview", "en-r1"), (2, "n", free), (2, "interview", "en-r1")]).endswith(
        f"row 3, column B (n): en-r1#{free} is also on row 2\n")
    assert attempt([(2, "cycle_days_fix", "two months")], "interviews").endswith(
        "  sheet 'interviews' row 2, column R (cycle_days_fix): cycle days must be a whole number of days "
        "(or '-' for unknown), not 'two months'\n")
    assert attempt([(2, "text_key", "")]).endswith(
        "row 2, column U (text_key): '' is not a text key written by 'cjm review' (16 hex digits)\n")
    sheet.write_bytes(original)  # a column of notes inserted by the reviewer is read past
    book = openpyxl.load_workbook(sheet)
    book["utterances"].insert_cols(6)
    book["utterances"].cell(row=1, column=6).value = "my notes"
    book["utterances"].cell(row=3, column=6).value = "ask Anna about this one"
    book["utterances"].cell(row=3, column=7).value = "x"  # ok, now in column G
    book.save(sheet)
    original = sheet.read_bytes()
    assert run("review", "--apply", sheet, folder).exit_code == 0
    assert len(json.loads((folder / "reviewed" / "en-r1.reviewed.json").read_text(encoding="utf-8"))["utterances"]) == 2
    stored = {p.name: p.read_bytes() for p in (folder / "reviewed").iterdir()}
    assert attempt([(2, "ok", "maybe")]).endswith("row 2, column G (ok): 'maybe' is not a mark: put x (or yes, ok, 1) "
                                                  "to confirm the row, or leave it empty\n")
    csv_like = tmp_path / "other.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "utterances"
    book.active.append(["name", "amount", "interview"])
    book.save(csv_like)
    assert refusal(run("review", "--apply", csv_like, folder)).endswith(
        "  sheet 'utterances' row 1: not a sheet written by 'cjm review': its header has 1 of the 21 columns cjm writes\n")
    foreign = tmp_path / "budget.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Q3"
    book.save(foreign)
    assert refusal(run("review", "--apply", foreign, folder)) == (
        f"Error: {foreign}: refused, nothing was stored (1 problem(s)):\n"
        "  no sheet named 'utterances' (sheets: Q3); is this a sheet written by 'cjm review'?\n")
    not_xlsx = tmp_path / "notes.xlsx"
    not_xlsx.write_text("just text", encoding="utf-8")
    assert "refused, nothing was stored" in refusal(run("review", "--apply", not_xlsx, folder))
    (folder / "reviewed" / "en-r1.reviewed.json").write_text("{broken", encoding="utf-8")
    sheet.write_bytes(original)
    set_cells(sheet, [(2, "ok", "x")])
    out = refusal(run("review", "--apply", sheet, folder))
    assert "en-r1.reviewed.json: line 1: not valid JSON" in out and "fix or remove it" in out
    assert (folder / "reviewed" / "en-r1.reviewed.json").read_text(encoding="utf-8") == "{broken"


def test_csv_sheet_round_trip_with_its_interview_part(series_sheet, tmp_path):
    folder, _ = fresh(series_sheet, tmp_path)
    sheet = tmp_path / "review.csv"
    result = run("review", folder, "-o", sheet)
    assert result.exit_code == 0, result.output
    assert f"{sheet}, {tmp_path / 'review.interviews.csv'}" in result.output
    with sheet.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    target = next(r for r in rows[1:] if r[0] == "ru-r1" and r[1] == "8")
    assert set(re.split(r"[,\s]+", target[header.index("roles")].strip())) != {"gatekeeper"}, \
        "the fix must correct the tagger's roles"
    target[header.index("roles_fix")] = "gatekeeper"
    with sheet.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)  # as Excel saves it in many locales
    parts = list(csv.reader((tmp_path / "review.interviews.csv").open(encoding="utf-8-sig", newline="")))
    parts[2][parts[0].index("channel_fix")] = "partner"
    parts[2][parts[0].index("ok")] = "x"
    with (tmp_path / "review.interviews.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(parts)
    result = run("review", "--apply", sheet, folder)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 utterance(s) reviewed (1 corrected), 1 interview row(s) reviewed")
    ru = json.loads((folder / "reviewed" / "ru-r1.reviewed.json").read_text(encoding="utf-8"))
    assert ru["channel"] == "partner" and ru["channel_group"] == "referral"
    assert [(u["n"], u["roles"]) for u in ru["utterances"]] == [(8, ["gatekeeper"])]
    wrong = run("review", "--apply", tmp_path / "review.interviews.csv", folder)
    assert wrong.exit_code == 1
    assert "review.interviews.csv is the interview part of a CSV review: give review.csv" in wrong.output
    parts[1][0] = "=cmd()"  # a formula-looking id in the interview part: named by file, row and column
    with (tmp_path / "review.interviews.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(parts)
    assert "  review.interviews.csv row 2, column A (interview): '=cmd()' is not an interview of" in \
        refusal(run("review", "--apply", sheet, folder))


def test_learn_trains_on_a_wholly_reviewed_interview_only(series_sheet, tmp_path):
    from cjm.learn import load_examples

    folder, sheet = fresh(series_sheet, tmp_path)
    _, rows = sheet_rows(sheet)
    changes = [(i + 2, "ok", "x") for i, r in enumerate(rows) if r["interview"] == "en-r1"]
    changes += [(i + 2, "roles_fix", "user") for i, r in enumerate(rows) if (r["interview"], r["n"]) == ("en-r1", 2)]
    changes += [(i + 2, "ok", "x") for i, r in enumerate(rows) if (r["interview"], r["n"]) == ("ru-r1", 2)]
    set_cells(sheet, changes)
    assert run("review", "--apply", sheet, folder).exit_code == 0
    examples, notes = load_examples([folder], load_codebook())
    assert [e.id for e in examples] == ["en-r1"]
    assert examples[0].gold_labels(2, "roles") == ["user"] and examples[0].gold_labels(1, "roles") == []
    assert examples[0].gold_labels(4, "channels") == ["exhibition"]
    assert any("ru-r1.txt: reviewed 1 of 5 respondent utterances; not used for training" in n for n in notes)
    document = json.loads((folder / "reviewed" / "en-r1.reviewed.json").read_text(encoding="utf-8"))
    assert document["furthest_stage"] == "bought" and "user" in document["roles"]  # whole: interview fields too


# --------------------------------------------------------------------------- the round trip on the sample series

def corrections(rows: list[dict], stages: list[str]) -> list[tuple[int, str, str, list[str]]]:
    """Ten corrections, two in each of five interviews: (sheet row, interview#n, kind, new labels)."""
    picked, per_interview = [], {}
    for index, row in enumerate(rows):
        if per_interview.get(row["interview"], 0) == 2 or len(per_interview) == 5 and row["interview"] not in per_interview:
            continue
        per_interview[row["interview"]] = per_interview.get(row["interview"], 0) + 1
        current = [s for s in (row["stages"] or "").split(", ") if s]
        if len(picked) % 2 == 0:
            new = [stages[(stages.index(current[0]) + 1) % len(stages)]] if current else ["informed"]
            picked.append((index + 2, f"{row['interview']}#{row['n']}", "stages", new))
        else:
            new = [] if row["roles"] else ["guru"]
            picked.append((index + 2, f"{row['interview']}#{row['n']}", "roles", new))
    return picked[:10]


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    """The sample series: sheet written, ten labels corrected and one row accepted in it, applied, reported."""
    where = tmp_path_factory.mktemp("sample")
    folder = where / "interviews"
    folder.mkdir()
    for path in SAMPLE.glob("*.txt"):
        shutil.copy(path, folder / path.name)
    sheet = where / "review.xlsx"
    written = run("review", folder, "-o", sheet)
    assert written.exit_code == 0, written.output
    _, rows = sheet_rows(sheet)
    fixes = corrections(rows, load_codebook().ids("stage"))
    accepted = next(i + 2 for i, r in enumerate(rows) if r["interview"] == "ru-08")
    set_cells(sheet, [(row, f"{kind}_fix", ", ".join(new) or "-") for row, _, kind, new in fixes] +
              [(accepted, "ok", "✓")])
    set_cells(sheet, [(3, "channel_fix", "exhibition")], "interviews")  # the second interview
    applied = run("review", "--apply", sheet, folder)
    out = where / "report"
    report = run("report", folder, "-o", out, "--lang", "en")
    assert report.exit_code == 0, report.output
    document = json.loads((out / "journeys.json").read_text(encoding="utf-8"))
    return {"rows": rows, "fixes": fixes, "accepted": rows[accepted - 2], "applied": applied, "folder": folder,
            "document": document, "out": out, "written": written}


def test_sample_round_trip_the_ten_corrections_hold_and_the_rest_is_unchanged(round_trip):
    assert round_trip["written"].output.startswith(f"{len(round_trip['rows'])} utterance(s) of 12 interview(s), "
                                                   "0 reviewed before:")
    applied = round_trip["applied"]
    assert applied.exit_code == 0, applied.output
    assert applied.output == ("11 utterance(s) reviewed (10 corrected), 1 interview row(s) reviewed: "
                              f"stored in {round_trip['folder'] / 'reviewed'} (6 file(s))\n")
    interviews = {i["id"]: i for i in round_trip["document"]["interviews"]}
    fixed = {where: (kind, new) for _, where, kind, new in round_trip["fixes"]}
    accepted = round_trip["accepted"]
    held = 0
    for row in round_trip["rows"]:
        where = f"{row['interview']}#{row['n']}"
        after = next(u for u in interviews[row["interview"]]["utterances"] if u["n"] == row["n"])
        suggested = {k: [s for s in (row[k] or "").split(", ") if s] for k in KINDS}
        if where in fixed:
            kind, new = fixed[where]
            assert after[kind] == new and after["reviewed"] is True, where
            assert all(after[k] == suggested[k] for k in KINDS if k != kind), where
            held += 1
        else:
            assert {k: after[k] for k in KINDS} == suggested, where
            assert after["reviewed"] is (row is accepted), where
    assert held == 10
    second = sorted(interviews)[1]
    assert interviews[second]["channel"] == "exhibition" and interviews[second]["channel_source"] == "review"
    assert interviews[second]["channel_group"] == "event" and interviews[second]["confidence"]["channel"] == 1.0
    reviewed = sum(i["review"]["utterances_reviewed"] for i in interviews.values())
    total = sum(i["review"]["respondent_utterances"] for i in interviews.values())
    assert (reviewed, total) == (11, len(round_trip["rows"]))


def test_sample_round_trip_the_report_says_what_was_reviewed(round_trip):
    out = round_trip["out"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f"11 of {len(round_trip['rows'])} utterances reviewed by a person" in index
    _, where, _, _ = round_trip["fixes"][0]
    ident, n = where.split("#")
    page = next((out / "interviews").glob(f"{ident}*.html")).read_text(encoding="utf-8")
    block = page.split(f'id="u-{n}"', 1)[1].split(' id="u-', 1)[0]
    assert "✓ reviewed" in block
    assert page.count('class="chip reviewed"') == 2
    unreviewed = next(r for r in round_trip["rows"] if r["interview"] == ident and f"{ident}#{r['n']}" not in
                      {w for _, w, _, _ in round_trip["fixes"]})
    assert "chip reviewed" not in page.split(f'id="u-{unreviewed["n"]}"', 1)[1].split(' id="u-', 1)[0]


def test_sample_round_trip_a_new_sheet_puts_reviewed_rows_last(round_trip, tmp_path):
    result = run("review", round_trip["folder"], "-o", tmp_path / "again.xlsx")
    assert result.exit_code == 0
    assert ", 11 reviewed before:" in result.output
    _, rows = sheet_rows(tmp_path / "again.xlsx")
    for ident in {r["interview"] for r in rows}:
        flags = [r["reviewed"] == "yes" for r in rows if r["interview"] == ident]
        assert flags == sorted(flags)  # unreviewed first, then reviewed
    row, where, kind, new = round_trip["fixes"][0]
    ident, n = where.split("#")
    again = next(r for r in rows if r["interview"] == ident and r["n"] == int(n))
    assert again["reviewed"] == "yes" and [s for s in (again[kind] or "").split(", ") if s] == new


def test_sample_round_trip_an_edited_transcript_keeps_unchanged_reviews_and_flags_the_rest(round_trip, tmp_path):
    ident = round_trip["fixes"][0][1].split("#")[0]
    (a_row, a_where, a_kind, a_new), (b_row, b_where, b_kind, b_new) = \
        [f for f in round_trip["fixes"] if f[1].startswith(ident + "#")]
    folder = tmp_path / "interviews"
    shutil.copytree(round_trip["folder"], folder)
    path = folder / f"{ident}.txt"
    text = path.read_text(encoding="utf-8")
    edited_n = int(b_where.split("#")[1])
    utterance = next(r["text"] for r in round_trip["rows"] if r["interview"] == ident and r["n"] == edited_n)
    word = max((w for w in re.findall(r"\w{5,}", utterance) if len(re.findall(rf"\b{w}\b", text)) == 1), key=len)
    text = re.sub(rf"\b{word}\b", "Zanzibar", text)
    body_start = text.index("\n", text.index("---", 3)) + 1 if text.startswith("---") else 0
    speakers = re.findall(r"^(?:\S+ )?([^:\n]{1,40}):", text[body_start:], flags=re.M)
    asker, answerer = speakers[0], speakers[1]
    text = text[:body_start] + f"{asker}: One more question first?\n{answerer}: Of course, go ahead.\n" + text[body_start:]
    path.write_text(text, encoding="utf-8")
    result = run("tag", path, "--json")
    assert result.exit_code == 0, result.output
    journey = json.loads(result.output)
    by_n = {u["n"]: u for u in journey["utterances"]}
    kept = by_n[int(a_where.split("#")[1]) + 2]
    assert kept["reviewed"] is True and kept[a_kind] == a_new
    changed = by_n[edited_n + 2]
    assert "Zanzibar" in changed["text"] and changed["reviewed"] is False
    assert f"1 utterance(s) changed since review: #{edited_n + 2} (tagged again, not marked reviewed)" in journey["notes"]
    assert journey["review"]["utterances_reviewed"] == 1 and journey["review"]["changed_since_review"] == 1


def test_untrusted_text_cannot_become_a_formula_nor_break_the_workbook(tmp_path):
    from cjm.journey import derive_journey
    from cjm.model import TaggedUtterance, Transcript
    from cjm.review import write_review

    book = load_codebook()
    said = '=HYPERLINK("http://evil.example","click")\x07 we paid in May'
    transcript = Transcript("=evil", "evil.txt", "en", [Utterance(1, "Q", "How did it end?", True),
                                                       Utterance(2, "@R", said)])
    tagged = [TaggedUtterance(transcript.utterances[0]),
              TaggedUtterance(transcript.utterances[1], stages=["bought"],
                              probabilities={"stage": {"bought": 0.9, "none": 0.05}, "role": {}, "channel": {}})]
    journey = derive_journey(transcript, tagged, book)
    path = tmp_path / "review.xlsx"
    write_review([journey], book, path)
    sheet = openpyxl.load_workbook(path)["utterances"]
    row = {c.value: cell for c, cell in zip(sheet[1], sheet[2])}
    assert row["interview"].value == "'=evil" and row["speaker"].value == "'@R"
    assert row["text"].data_type == "s" and row["text"].value.startswith("'=HYPERLINK(")
    assert "\x07" not in row["text"].value
    assert row["text_key"].value == text_key(said)
    parsed = read_review(path, book).utterances[0]
    assert (parsed.interview, parsed.n, parsed.speaker, parsed.suggested["stages"]) == ("=evil", 2, "@R", ["bought"])
    assert parsed.text.startswith("=HYPERLINK(") and not parsed.reviewed


def test_reviews_hold_in_a_redacted_run_and_a_cleared_field_is_null(series_sheet, tmp_path):
    from cjm.pipeline import analyse

    folder, sheet = fresh(series_sheet, tmp_path)
    _, rows = sheet_rows(sheet)
    at = {(r["interview"], r["n"]): i + 2 for i, r in enumerate(rows)}
    set_cells(sheet, [(at["en-r1", 10], "roles_fix", "big_boss")])  # "Paul signed the lease": Paul is redacted
    set_cells(sheet, [(2, "cycle_days_fix", "-")], "interviews")
    assert run("review", "--apply", sheet, folder).exit_code == 0
    journey = next(j for j in analyse(folder, redact=True).journeys if j.id == "en-r1")
    signed = next(t for t in journey.utterances if t.n == 10)
    assert "Paul" not in signed.utterance.text and signed.reviewed and signed.roles == ["big_boss"]
    assert journey.cycle_days is None and journey.review["fields_reviewed"] == [
        "channel", "outcome", "first_contact_role", "cycle_days"]
    assert not any("changed since review" in note for note in journey.transcript.notes)


def test_review_explains_itself():
    result = run("review", "--help")
    assert result.exit_code == 0
    assert "cjm review --apply review.xlsx interviews/" in result.output


def test_a_damaged_or_orphan_review_is_reported_and_the_run_goes_on(series_sheet, tmp_path):
    from cjm.pipeline import analyse

    folder, _ = fresh(series_sheet, tmp_path)
    (folder / "reviewed").mkdir()
    (folder / "reviewed" / "en-r1.reviewed.json").write_text(
        json.dumps({"id": "en-r1", "utterances": [{"n": 2, "stages": "informed"}]}), encoding="utf-8")
    (folder / "reviewed" / "gone.reviewed.json").write_text(
        json.dumps({"id": "gone", "utterances": [{"n": 2, "stages": ["informed"]}]}), encoding="utf-8")
    result = analyse(folder)
    assert [j.id for j in result.journeys] == ["en-r1", "ru-r1"]
    assert not any(t.reviewed for j in result.journeys for t in j.utterances)
    assert [p.source for p in result.problems if p.ignored] == [str(folder / "reviewed")]  # not a transcript
    assert [str(p) for p in result.problems if not p.ignored] == [
        f"{folder / 'reviewed' / 'en-r1.reviewed.json'}: utterance entry 1: needs a number 'n', lists of label ids "
        "and text: its corrections were not used",
        f"{folder / 'reviewed' / 'gone.reviewed.json'}: a review of an interview that is not in the folder: not used"]


def test_scores_skip_interview_fields_a_review_left_unchecked():
    from cjm.evaluate import bootstrap, format_comparison, stage_confusion

    document = {"interviews": [{"id": "a", "channel": "referral", "furthest_stage": "bought", "utterances": [
        {"n": 2, "stages": ["bought"], "roles": [], "channels": []}]}]}
    golds = {"a": {"id": "a", "furthest_stage": "bought",
                   "utterances": [{"n": 2, "stages": ["bought"], "roles": [], "channels": []}]}}
    scored = evaluate(document, golds)
    assert scored.interview == {"furthest_stage": [True]}
    intervals = bootstrap(document, golds, samples=20)
    assert intervals["furthest_stage"] == (1.0, 1.0) and "channel" not in intervals
    text = format_comparison({"model": (scored, intervals)}, {"model": stage_confusion(document, golds)})
    assert "furthest_stage" in text and "first_contact_role" not in text
