"""Output: the report is swapped in whole under a lock, never written through links, never left
half-written by a kill; page names are bounded and collision-free."""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cjm import output
from cjm.output import (OutputError, atomic_write_text, check_target, claim_folder, foreign_entries, lock_path,
                        output_lock, recover, staged_folder, write_or_link)
from cjm.render import SLUG_MAX, slug

import render_fixture as fixture  # tests/render_fixture.py: the hand-built journeys of tests/data/render

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"


# --------------------------------------------------------------------------- helpers


def fake_report(folder: Path, pages: tuple[str, ...] = ("a", "b"), tag: str = "old") -> Path:
    """A folder shaped like cjm's report (the same names), with `tag` in every file."""
    (folder / "interviews").mkdir(parents=True)
    (folder / "assets").mkdir()
    for name in ("index.html", "journeys.json", "events.csv"):
        (folder / name).write_text(f"{tag} {name}\n", encoding="utf-8")
    for page in pages:
        (folder / "interviews" / f"{page}.html").write_text(f"{tag} page {page}\n", encoding="utf-8")
    (folder / "assets" / "plotly.gz.js").write_text(f"{tag} js\n", encoding="utf-8")
    (folder / "assets" / "report.css").write_text(f"{tag} css\n", encoding="utf-8")
    return folder


def manifest(folder: Path) -> dict[str, str]:
    """Every entry under `folder`: files by their SHA-256, folders as such, links by where they point."""
    found: dict[str, str] = {}
    if not os.path.lexists(folder):
        return found
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[key] = "link " + os.readlink(path)
        elif path.is_dir():
            found[key] = "folder"
        else:
            found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def write_new(staging: Path, pages: tuple[str, ...] = ("a", "c"), tag: str = "new") -> None:
    """What the report command writes, in the same way (plain writes into the staging folder)."""
    (staging / "interviews").mkdir()
    (staging / "assets").mkdir()
    for name in ("index.html", "journeys.json", "events.csv"):
        (staging / name).write_text(f"{tag} {name}\n", encoding="utf-8")
    for page in pages:
        (staging / "interviews" / f"{page}.html").write_text(f"{tag} page {page}\n", encoding="utf-8")
    (staging / "assets" / "report.css").write_text(f"{tag} css\n", encoding="utf-8")


def run_into(out: Path, **kwargs) -> None:
    with claim_folder(out) as target, staged_folder(target, shown=out) as staging:
        write_new(staging, **kwargs)


def beside(out: Path) -> list[str]:
    """What is in the target's parent apart from the target itself."""
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


# --------------------------------------------------------------------------- the swap


def test_a_file_with_the_old_bytes_is_linked_and_any_other_written(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    (old / "same.html").write_bytes(b"<p>same</p>")
    (old / "other.html").write_bytes(b"<p>before</p>")
    (old / "target.html").write_bytes(b"<p>same</p>")
    (old / "link.html").symlink_to(old / "target.html")
    write_or_link(new / "same.html", b"<p>same</p>", old / "same.html")
    write_or_link(new / "other.html", b"<p>after!</p>", old / "other.html")  # the same size, other bytes
    write_or_link(new / "link.html", b"<p>same</p>", old / "link.html")
    write_or_link(new / "missing.html", b"x", old / "missing.html")
    write_or_link(new / "plain.html", b"y")
    assert os.path.samefile(new / "same.html", old / "same.html")
    assert (new / "other.html").read_bytes() == b"<p>after!</p>" and (old / "other.html").read_bytes() == b"<p>before</p>"
    assert not (new / "link.html").is_symlink() and not os.path.samefile(new / "link.html", old / "target.html")
    assert (new / "link.html").read_bytes() == b"<p>same</p>"
    assert (new / "missing.html").read_bytes() == b"x" and (new / "plain.html").read_bytes() == b"y"


def test_where_a_link_cannot_be_made_the_file_is_written(tmp_path, monkeypatch):
    (tmp_path / "old.html").write_bytes(b"page")

    def no_links(*args, **kwargs):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    write_or_link(tmp_path / "new.html", b"page", tmp_path / "old.html")
    assert (tmp_path / "new.html").read_bytes() == b"page"
    assert not os.path.samefile(tmp_path / "new.html", tmp_path / "old.html")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")
def test_a_worker_outliving_a_killed_run_does_not_keep_the_output_lock(tmp_path):
    """A run that forked a worker (the tagging pool) and was killed leaves its lock file behind;
    the worker, still alive, must hold no share of the lock, or the next run would be refused."""
    target = tmp_path / "reports"
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    run = os.fork()
    if run == 0:  # the run: takes the lock, forks its worker, dies without letting go
        with output_lock(target):
            if os.fork() == 0:  # the worker: lives until told to go
                os.read(go_r, 1)
                os._exit(0)
            os.write(ready_w, b"1")
            os._exit(0)  # as SIGKILL would: no unlink, no close
    os.waitpid(run, 0)
    assert os.read(ready_r, 1) == b"1" and lock_path(target).exists()
    try:
        with output_lock(target):  # "another cjm run is writing" if the worker kept the lock
            pass
    finally:
        os.write(go_w, b"1")


def test_a_new_folder_is_created_whole_and_nothing_is_left_beside_it(tmp_path):
    out = tmp_path / "deep" / "reports"
    run_into(out)
    assert set(manifest(out)) == {"index.html", "journeys.json", "events.csv", "interviews", "interviews/a.html",
                                  "interviews/c.html", "assets", "assets/report.css"}
    assert beside(out) == []  # no staging folder, no backup, no lock file
    assert out.stat().st_mode & 0o777 == 0o777 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_pages_of_an_earlier_run_do_not_survive(tmp_path):
    out = fake_report(tmp_path / "reports", pages=("a", "unredacted-name"))
    run_into(out, pages=("a",))
    assert sorted(p.name for p in (out / "interviews").iterdir()) == ["a.html"]
    assert (out / "journeys.json").read_text(encoding="utf-8") == "new journeys.json\n"
    assert beside(out) == []


@pytest.mark.parametrize("failure", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_failed_run_leaves_the_old_report_untouched(tmp_path, failure):
    out = fake_report(tmp_path / "reports")
    before = manifest(out)
    with pytest.raises(type(failure)):
        with claim_folder(out) as target, staged_folder(target) as staging:
            write_new(staging)
            raise failure
    assert manifest(out) == before
    assert beside(out) == []


def test_a_write_error_names_the_target_not_the_staging_folder(tmp_path):
    out = tmp_path / "reports"
    with pytest.raises(OutputError) as caught:
        with claim_folder(out) as target, staged_folder(target, shown=out) as staging:
            (staging / "interviews").mkdir()
            (staging / "interviews" / ("x" * 300 + ".html")).write_text("page")
    assert str(out) in str(caught.value) and ".cjm-" not in str(caught.value)
    assert "File name too long" in str(caught.value)
    assert not out.exists() and beside(out) == []


def test_links_inside_the_output_are_replaced_never_written_through(tmp_path):
    outside = tmp_path / "outside"
    (outside / "pages").mkdir(parents=True)
    (outside / "victim.json").write_text("precious\n")
    (outside / "pages" / "a.html").write_text("precious page\n")
    (outside / "style.css").write_text("precious css\n")
    out = tmp_path / "reports"
    (out / "assets").mkdir(parents=True)
    (out / "journeys.json").symlink_to(outside / "victim.json")
    (out / "interviews").symlink_to(outside / "pages", target_is_directory=True)
    (out / "assets" / "report.css").symlink_to(outside / "style.css")
    before = manifest(outside)
    run_into(out)
    assert manifest(outside) == before
    assert not any(p.is_symlink() for p in out.rglob("*"))
    assert (out / "journeys.json").read_text() == "new journeys.json\n"
    assert (out / "interviews" / "a.html").read_text() == "new page a\n"


def test_a_link_given_as_the_output_is_followed_and_its_report_replaced(tmp_path):
    real = fake_report(tmp_path / "store" / "reports")
    link = tmp_path / "reports"
    link.symlink_to(real, target_is_directory=True)
    run_into(link)
    assert link.is_symlink() and (real / "journeys.json").read_text() == "new journeys.json\n"
    assert not (real / "interviews" / "b.html").exists()


@pytest.mark.parametrize("make, shown", [
    (lambda o: [(o / f"note-{k:02d}.md").write_text("mine") for k in range(21)], "more files of yours than cjm carries"),
    (lambda o: (o / "data").mkdir(), "data/"),
    (lambda o: (o / ".git").mkdir(), ".git/"),
    (lambda o: (o / "journeys.json").unlink() or (o / "journeys.json").mkdir(), "journeys.json/ (a folder"),
    (lambda o: (o / "interviews" / "sub").mkdir(), "interviews/sub/"),
    (lambda o: (o / "interviews" / "draft.docx").write_text("mine"), "interviews/draft.docx"),
    (lambda o: (o / "assets" / "fonts").mkdir(), "assets/fonts/"),
    (lambda o: (o / "elsewhere").symlink_to(o.parent), "elsewhere (a link"),
])
def test_a_folder_with_what_cjm_did_not_write_is_refused_before_anything(tmp_path, make, shown):
    out = fake_report(tmp_path / "reports")
    make(out)
    before = manifest(out)
    with pytest.raises(OutputError) as caught:
        check_target(out, folder=True)
    assert shown in str(caught.value) and "move these away" in str(caught.value)
    with pytest.raises(OutputError):
        run_into(out)
    assert manifest(out) == before and beside(out) == []


def test_a_folder_that_changes_during_the_run_is_rechecked_before_the_swap(tmp_path):
    out = fake_report(tmp_path / "reports")
    with pytest.raises(OutputError, match="data/"):
        with claim_folder(out) as target, staged_folder(target) as staging:
            write_new(staging)
            (out / "data").mkdir()  # a folder of the user's, made while cjm ran
    assert (out / "data").is_dir() and (out / "interviews" / "b.html").exists() and beside(out) == []


def test_a_few_plain_files_of_the_user_s_are_carried_over_as_the_same_files(tmp_path):
    """notes.md, or the log a script redirects into the output folder while cjm runs, survive the
    swap as the very same file (a hard link), so a log still being written stays whole."""
    out = fake_report(tmp_path / "reports")
    (out / "notes.md").write_text("mine")
    log = (out / "log").open("w")
    log.write("before\n")
    log.flush()
    inode = os.stat(out / "log").st_ino
    assert foreign_entries(out) == []
    run_into(out)
    log.write("after\n")
    log.close()
    assert (out / "notes.md").read_text() == "mine" and os.stat(out / "log").st_ino == inode
    assert (out / "log").read_text() == "before\nafter\n"
    assert not (out / "interviews" / "b.html").exists()  # the old report's pages are gone all the same


def test_hidden_files_are_carried_over_and_file_manager_clutter_dropped(tmp_path):
    out = fake_report(tmp_path / "reports")
    (out / ".gitkeep").write_text("")
    (out / ".DS_Store").write_bytes(b"\0\1")
    (out / "interviews" / "Thumbs.db").write_bytes(b"\0")
    assert foreign_entries(out) == []
    run_into(out)
    assert (out / ".gitkeep").exists() and not (out / ".DS_Store").exists()
    assert not (out / "interviews" / "Thumbs.db").exists()


def test_an_empty_existing_folder_is_used_and_keeps_its_permissions(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    out.chmod(0o750)
    run_into(out)
    assert (out / "index.html").exists() and out.stat().st_mode & 0o777 == 0o750


def test_without_an_atomic_exchange_two_renames_do_it(tmp_path, monkeypatch):
    monkeypatch.setattr(output, "exchange", lambda a, b: False)
    out = fake_report(tmp_path / "reports")
    run_into(out)
    assert (out / "index.html").read_text() == "new index.html\n" and beside(out) == []


def test_when_the_second_rename_fails_the_old_report_is_put_back(tmp_path, monkeypatch):
    monkeypatch.setattr(output, "exchange", lambda a, b: False)
    out = fake_report(tmp_path / "reports")
    before = manifest(out)
    real_rename = os.rename

    def rename(src, dst):
        if str(src).endswith(".new"):
            raise OSError(28, "No space left on device")
        real_rename(src, dst)

    monkeypatch.setattr(output.os, "rename", rename)
    with pytest.raises(OutputError, match="old report is kept"):
        run_into(out)
    monkeypatch.setattr(output.os, "rename", real_rename)
    assert manifest(out) == before and beside(out) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_exchange_swaps_two_folders(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "x").write_text("a")
    (b / "y").write_text("b")
    assert output.exchange(a, b)
    assert (b / "x").exists() and (a / "y").exists()


def test_recover_restores_a_backup_when_the_target_is_missing(tmp_path):
    out = tmp_path / "reports"
    old = fake_report(output._temp_name(out, "old"))
    before = manifest(old)
    fake_report(output._temp_name(out, "new"), tag="half")
    (tmp_path / ".reports-mine").mkdir()  # someone else's hidden folder beside: not cjm's
    recover(out)
    assert manifest(out) == before
    assert beside(out) == [".reports-mine"]


def test_recover_removes_leftovers_when_the_target_exists(tmp_path):
    out = fake_report(tmp_path / "reports")
    before = manifest(out)
    fake_report(output._temp_name(out, "old"), tag="older")
    fake_report(output._temp_name(out, "new"), tag="half")
    recover(out)
    assert manifest(out) == before and beside(out) == []


# --------------------------------------------------------------------------- checks before the work


def test_a_file_in_the_path_is_named(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match=r"file is a file, not a folder"):
        check_target(tmp_path / "file" / "sub", folder=True)
    with pytest.raises(OutputError, match=r"is a file, not a folder"):
        check_target(tmp_path / "file", folder=True)
    with pytest.raises(OutputError, match=r"file is a file, not a folder"):
        check_target(tmp_path / "file" / "sub" / "journeys.json", folder=False)


def test_a_folder_where_a_file_is_wanted(tmp_path):
    with pytest.raises(OutputError, match="is a folder, not a file"):
        check_target(tmp_path, folder=False)
    assert check_target(tmp_path / "new" / "j.json", folder=False) == tmp_path / "new" / "j.json"


def test_an_unwritable_place_is_refused(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(output.os, "access", lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    with pytest.raises(OutputError, match="no permission to write in"):
        check_target(locked / "reports", folder=True)
    with pytest.raises(OutputError, match="no permission to write in"):
        check_target(locked / "journeys.json", folder=False)
    with pytest.raises(OutputError, match="cannot replace"):
        check_target(locked, folder=True)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_folder_is_refused_for_real(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="no permission"):
            check_target(locked / "reports", folder=True)
    finally:
        locked.chmod(0o700)


def test_a_name_too_long_for_the_files_beside_it(tmp_path):
    with pytest.raises(OutputError, match="too long"):
        check_target(tmp_path / ("r" * 240), folder=True)


# --------------------------------------------------------------------------- the lock


def test_a_second_run_into_the_same_folder_is_refused(tmp_path):
    out = tmp_path / "reports"
    with claim_folder(out):
        assert lock_path(out.resolve()).exists()
        with pytest.raises(OutputError, match=rf"another cjm run \(process {os.getpid()}\) is writing"):
            with claim_folder(out):
                pass
        with claim_folder(tmp_path / "other"):  # another folder is another lock
            pass
    assert not lock_path(out).exists()
    with claim_folder(out):  # free again
        pass


def test_a_lock_file_left_by_a_dead_run_does_not_block(tmp_path):
    out = tmp_path / "reports"
    lock_path(out).write_text("999999\n")
    run_into(out)
    assert (out / "index.html").exists() and beside(out) == []


@pytest.mark.skipif(output.fcntl is None, reason="flock is POSIX")
def test_a_lock_held_by_another_process_and_freed_by_its_death(tmp_path):
    out = tmp_path / "reports"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from cjm.output import output_lock
        with output_lock(Path({str(out)!r})):
            print("locked", flush=True)
            time.sleep(60)
        """)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(OutputError, match=rf"process {holder.pid}"):
            run_into(out)
    finally:
        holder.kill()
        holder.wait()
    assert lock_path(out).exists()  # SIGKILL: the file stays, the kernel dropped the flock
    run_into(out)
    assert (out / "index.html").exists()


def test_a_lock_file_that_is_a_link_is_refused_and_not_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    out = tmp_path / "reports"
    lock_path(out).symlink_to(victim)
    with pytest.raises(OutputError, match="symbolic link"):
        with output_lock(out):
            pass
    assert victim.read_text() == "precious\n"


# --------------------------------------------------------------------------- one file


def test_atomic_write_replaces_a_link_instead_of_writing_through_it(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    path = tmp_path / "journeys.json"
    path.symlink_to(victim)
    atomic_write_text(path, "{}\n")
    assert victim.read_text() == "precious\n"
    assert not path.is_symlink() and path.read_text() == "{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journeys.json", "victim"]


def test_atomic_write_that_fails_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "journeys.json"
    path.write_text("old\n")

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "replace", fail)
    with pytest.raises(OSError):
        atomic_write_text(path, "new\n")
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["journeys.json"]


# --------------------------------------------------------------------------- page names


SAFE_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def test_a_plain_id_keeps_its_name():
    assert slug("ru-01") == "ru-01" and slug("en_questions") == "en_questions" and slug("Acme.2024") == "Acme.2024"


def test_other_ids_get_a_stable_hash():
    assert slug("интервью 01") == "01-" + hashlib.sha256("интервью 01".encode()).hexdigest()[:12]
    assert slug("a b") == "a_b-c8687a08aa5d"  # the same name in every run and on every machine
    assert slug("") == slug("") != slug(".")


@pytest.mark.parametrize("ident", ["x" * 300, "я" * 300, "../../etc/passwd", "CON", "nul.txt", "-rf", ".hidden",
                                   "a\0b", "a/b\\c", "\ud800lone", "<script>", "a b" * 100])
def test_names_are_bounded_and_safe(ident):
    name = slug(ident)
    assert SAFE_NAME.fullmatch(name) and len(name) <= SLUG_MAX
    assert not name.startswith(("-", ".")) and name.split(".")[0].upper() not in ("CON", "NUL")


def test_ids_that_clean_to_the_same_name_do_not_collide():
    ids = ["a b", "a_b", "a  b", "a/b", "a?b", "a b ", "a_b-c8687a08aa5d", "интервью", "отзыв", "", ".",
           "_"]
    ids += ["x" * 200 + suffix for suffix in ("1", "2", "")]
    names = [slug(i) for i in ids]
    assert len(set(names)) == len(ids)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=300), min_size=2, max_size=20, unique=True))
def test_distinct_ids_give_distinct_bounded_names(ids):
    names = [slug(i) for i in ids]
    assert len(set(names)) == len(names)
    assert all(SAFE_NAME.fullmatch(n) and len(n) <= SLUG_MAX for n in names)


def test_a_report_with_very_long_ids_is_written_whole(tmp_path):
    from cjm.codebook import load_codebook
    from cjm.render import write_report

    journeys = fixture.load_journeys()[:3]
    for n, journey in enumerate(journeys):  # 300 characters, the same first 250: the bug was OSError
        journey.transcript.id = "v" * 250 + "-" * 49 + str(n)
    paths = write_report(journeys, [], load_codebook(), tmp_path, lang="en")
    pages = sorted((tmp_path / "interviews").iterdir())
    assert len(pages) == 3 and all(len(p.name) <= SLUG_MAX + 8 for p in pages)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert all(f"interviews/{p.name}" in index for p in pages) and set(pages) <= set(paths)


# --------------------------------------------------------------------------- kills


WRITER = """
import sys
from pathlib import Path
from cjm.output import claim_folder, staged_folder
out = Path(sys.argv[1])
with claim_folder(out) as target, staged_folder(target) as staging:
    (staging / "interviews").mkdir()
    for n in range(300):
        (staging / "interviews" / f"p{n}.html").write_text(f"new page {n}\\n" * 400)
    (staging / "journeys.json").write_text("new\\n" * 50000)
    (staging / "index.html").write_text("new index\\n")
"""


def _run_and_signal(command: list[str], watch: Path, signum: int | None, delay: float) -> float:
    """Run `command`; `delay` seconds after its staging folder appears beside `watch` (its own:
    the name holds its pid; killed runs leave theirs), send it `signum`; return how long it ran
    after the staging folder appeared."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while process.poll() is None and not list(watch.parent.glob(f".{watch.name}.cjm-*-{process.pid}-*.new")):
            time.sleep(0.001)
        writing = time.monotonic()
        if signum is not None:
            time.sleep(delay)
            process.send_signal(signum)
    finally:
        process.wait(timeout=120)
    return time.monotonic() - writing


def _replace(out: Path, old_copy: Path) -> None:
    shutil.rmtree(out)
    shutil.copytree(old_copy, out, symlinks=True)


def test_sigkill_while_the_output_layer_writes_leaves_old_or_new(tmp_path):
    out = fake_report(tmp_path / "reports", pages=tuple(f"p{n}" for n in range(0, 300, 7)))
    shutil.copytree(out, tmp_path / "old-copy")
    old = manifest(out)
    command = [sys.executable, "-c", WRITER, str(out)]
    done = tmp_path / "done"
    span = _run_and_signal(command[:-1] + [str(done)], done, None, 0)  # to spread the kills over the writing
    new = manifest(done)
    rng = random.Random(12)
    seen = []
    for k in range(8):
        _run_and_signal(command, out, signal.SIGINT if k % 3 == 2 else signal.SIGKILL, rng.uniform(0, span * 1.3))
        state = manifest(out)
        assert state in (old, new), f"kill {k} left a mix"
        seen.append("old" if state == old else "new")
        if state == new:
            _replace(out, old_copy=tmp_path / "old-copy")
    print(f"writing takes {span:.3f}s; after each kill:", " ".join(seen))
    subprocess.run(command, cwd=ROOT, check=True)  # the next run: no stale lock, leftovers tidied
    assert manifest(out) == new and beside(out) == ["done", "old-copy"]


DRIVER = """
import os, sys
from cjm.cli import cli

def run(args):
    try:
        cli(args, standalone_mode=True)
    except SystemExit as done:
        return done.code or 0
    return 0

old_input, new_input, out, done = sys.argv[1:]
talk, sys.stdout = sys.stdout, open(os.devnull, "w")  # the command's own messages are not the protocol
assert run(["report", "--rules-only", old_input, "-o", out]) == 0  # the old report; warms every cache
assert run(["report", "--rules-only", new_input, "-o", done]) == 0  # what a whole new report is
print("ready", file=talk, flush=True)
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:  # the child is the command, exactly as `python -m cjm report` runs it
        sys.stdin.close()
        os._exit(run(["report", "--rules-only", new_input, "-o", out]))
    print(pid, file=talk, flush=True)
    print(os.waitpid(pid, 0)[1], file=talk, flush=True)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # no signal: asks whether the process is still there
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the driver forks")
def test_sigkill_of_cjm_report_leaves_a_whole_old_or_a_whole_new_report(tmp_path):
    """The report command on two small interviews, killed at seeded moments while it writes
    over a report of two others: each time the folder holds the whole old report or the whole
    new one. A driver loads cjm once and forks the command for each kill, so a kill costs the
    command's own time, not the interpreter's start and spaCy's loading."""
    old_input, new_input = tmp_path / "old-in", tmp_path / "new-in"
    old_input.mkdir(), new_input.mkdir()
    for folder, names in ((old_input, ("no_speakers.txt", "en_bom.txt")), (new_input, ("en_questions.txt",
                                                                                        "ru_cp1251.txt"))):
        for name in names:
            (folder / name).write_bytes((DATA / "transcripts" / name).read_bytes())
    out, done = tmp_path / "reports", tmp_path / "done"
    driver = subprocess.Popen([sys.executable, "-c", DRIVER, str(old_input), str(new_input), str(out), str(done)],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True)
    try:
        assert driver.stdout.readline().strip() == "ready"
        old, new = manifest(out), manifest(done)
        assert new != old and "interviews/en_questions.html" in new and "interviews/en_bom.html" in old
        shutil.copytree(out, tmp_path / "old-copy", symlinks=True)

        def command(signum: int | None, delay: float) -> tuple[dict, bool, float]:
            """One run; the signal goes `delay` seconds after its staging folder appears."""
            driver.stdin.write("run\n")
            driver.stdin.flush()
            pid = int(driver.stdout.readline())
            started = time.monotonic()
            while not list(tmp_path.glob(f".reports.cjm-*-{pid}-*.new")) and _alive(pid) \
                    and time.monotonic() - started < 120:
                time.sleep(0.001)
            writing = time.monotonic()
            if signum is not None:
                time.sleep(delay)
                try:
                    os.kill(pid, signum)
                except ProcessLookupError:  # it finished (and was reaped) first: the new report is whole
                    pass
            driver.stdout.readline()  # the child's wait status: it is gone
            left = bool(list(tmp_path.glob(".reports.cjm-*")))
            state = manifest(out)
            assert state in (old, new), f"signal {signum} {delay:.3f}s into the writing left a mix"
            print(f"signal {signum} {delay:.3f}s after the staging folder appeared: "
                  f"{'old' if state == old else 'new'} report{', a leftover beside' if left else ''}")
            if state != old:
                _replace(out, old_copy=tmp_path / "old-copy")
            return state, left, time.monotonic() - writing

        _, _, span = command(None, 0)  # a whole run: how long the writing takes here, to spread the kills
        rng = random.Random(2024)
        first, left_behind, _ = command(signal.SIGKILL, 0.0)
        assert first == old and left_behind  # killed at once while writing: the old report, a leftover
        for signum in (signal.SIGKILL, signal.SIGINT, signal.SIGKILL):
            command(signum, rng.uniform(0, span))
        final, left_behind, _ = command(None, 0)  # the next run: no stale lock, the leftovers tidied
        assert final == new and not left_behind
    finally:
        driver.stdin.close()
        driver.wait(timeout=120)


def test_every_top_level_file_of_a_report_is_known_as_cjm_s_own(tmp_path):
    """A report folder written by `write_report` (and the data beside it) may be replaced by the
    next run: nothing in it is taken for a file of the user's."""
    from cjm.output import REPORT_FILES, REPORT_FOLDERS
    from cjm.pipeline import analyse
    from cjm.render import write_report

    result = analyse(DATA / "transcripts" / "en_questions.txt", rules_only=True)
    write_report(result.journeys, result.problems, result.codebook, tmp_path, lang="en")
    written = {p.name for p in tmp_path.iterdir()}
    assert "index.html" in written
    assert written <= REPORT_FILES | set(REPORT_FOLDERS)
