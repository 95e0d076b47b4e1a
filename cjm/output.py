"""Writing outputs so that a kill, a second run or a hostile output folder cannot spoil them.

`cjm report` checks the target before the analysis (so a bad `-o` costs no minutes), locks it
against a second run, writes the whole report into a fresh folder beside it and swaps that in:
a run killed at any moment leaves the whole old report or the whole new one, never a mix, and
no page of an earlier run survives (an unredacted page cannot outlive a later `--redact` run).
Nothing is ever written through an entry that already exists, so a symlinked `journeys.json` or
`interviews/` inside the output folder cannot make cjm write outside it.

The swap deletes the old folder, so it only replaces a folder that holds a cjm report and
nothing else (a few plain files of the user's, such as `.gitkeep` or a log, are carried over); anything else is refused with
a message, never deleted. The guarantee is against the process being killed; files are not
fsynced one by one (a power cut may still lose the new report, the old one is never at risk
before the swap).
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import secrets
import shutil
import signal
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .errors import CjmError

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: msvcrt's byte lock, also released on death
    fcntl = None  # type: ignore[assignment]

# Every top-level file a report run writes (render's pages, the data, `--pdf`): an old report
# holding only these (and REPORT_FOLDERS) is cjm's own and may be replaced whole.
REPORT_FILES = frozenset({"index.html", "evidence.html", "method.html", "report.pdf", "journeys.json", "events.csv"})
REPORT_FOLDERS = {"interviews": (".html",), "assets": (".js", ".css")}  # what cjm writes in each
OS_CLUTTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})  # file managers add these; dropped
# A few plain files of the user's in the output folder (a .gitkeep, a notes.md, the log a script
# redirects into it) are carried over into the new report, linked, never deleted; more or larger
# than this, or any folder or link cjm did not make, and the folder is refused instead.
CARRY_MAX_FILES = 20
CARRY_MAX_BYTES = 50 * 1024 * 1024
MAX_NAME = 200  # bytes of the target's name: room for the staging and lock names beside it
_SWAP_SIGNALS = {getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)}


class OutputError(CjmError):
    """An output path cjm cannot or must not write: told before the analysis runs."""


# --------------------------------------------------------------------------- checks


def check_target(out: str | Path, *, folder: bool) -> Path:
    """Check that `out` can be written (a report folder, or one file) and return the absolute
    path to write. Raises OutputError with a message naming the path; creates nothing."""
    out = Path(out)
    target = Path(os.path.realpath(out)) if folder else Path(os.path.abspath(out))
    if not target.name or target == target.parent:
        raise OutputError(f"{out} is not a folder cjm can replace", hint="give a new or empty folder with -o")
    if len(os.fsencode(target.name)) > MAX_NAME:
        raise OutputError(f"the name of {out} is too long ({len(os.fsencode(target.name))} bytes)",
                          hint=f"at most {MAX_NAME}")
    ancestor = target.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"cannot create {out}: {ancestor} is a file, not a folder", hint="choose another -o")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {out}: no permission to write in {ancestor}", hint="choose another -o")
    if folder:
        if target.exists() and not target.is_dir():
            raise OutputError(f"{out} is a file, not a folder", hint="give a folder with -o")
        if target.is_dir():
            check_replaceable(target, shown=out)
    else:
        if target.is_dir() and not target.is_symlink():
            raise OutputError(f"{out} is a folder, not a file", hint=f"give a file name, e.g. {out / 'journeys.json'}")
    return target


def foreign_entries(folder: Path) -> list[str]:
    """What in an existing output folder cjm did not write and will not carry over, each with why:
    the swap would delete these, so their presence refuses the run. Symlinks with cjm's names are
    fine (the link is removed, what it points to is never touched); a few plain files of the
    user's are carried over (`user_files`)."""
    found: list[str] = []
    carried = 0
    carried_bytes = 0
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            name = entry.name
            if entry.is_symlink():
                if name not in REPORT_FILES and name not in REPORT_FOLDERS and not name.startswith("."):
                    found.append(f"{name} (a link cjm did not make)")
            elif name in REPORT_FILES:
                if not entry.is_file(follow_symlinks=False):
                    found.append(f"{name}/ (a folder where cjm writes a file)")
            elif name in REPORT_FOLDERS:
                if not entry.is_dir(follow_symlinks=False):
                    found.append(f"{name} (a file where cjm writes a folder)")
                else:
                    found.extend(f"{name}/{inner}" for inner in _foreign_inside(Path(entry.path), REPORT_FOLDERS[name]))
            elif name in OS_CLUTTER:
                continue
            elif entry.is_file(follow_symlinks=False):
                carried += 1
                carried_bytes += entry.stat(follow_symlinks=False).st_size
                if carried > CARRY_MAX_FILES or carried_bytes > CARRY_MAX_BYTES:
                    found.append(f"{name} (more files of yours than cjm carries over: {CARRY_MAX_FILES} files, "
                                 f"{CARRY_MAX_BYTES // (1024 * 1024)} MB)")
            else:
                found.append(name + ("/" if entry.is_dir(follow_symlinks=False) else ""))
    return found


def _foreign_inside(folder: Path, suffixes: tuple[str, ...]) -> list[str]:
    with os.scandir(folder) as entries:
        return sorted(e.name + ("/" if e.is_dir(follow_symlinks=False) else "") for e in entries
                      if e.name not in OS_CLUTTER
                      and not ((e.is_symlink() or e.is_file(follow_symlinks=False)) and e.name.endswith(suffixes)))


def check_replaceable(target: Path, *, shown: str | Path | None = None) -> None:
    """Refuse a folder the swap must not delete: one holding anything but a cjm report, or one
    cjm may not empty."""
    shown = shown if shown is not None else target
    try:
        found = foreign_entries(target)
    except OSError as exc:
        raise OutputError(f"cannot replace {shown}: cannot read {exc.filename or target}: {exc.strerror}",
                          hint="choose another -o") from None
    if found:
        listed = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        raise OutputError(f"{shown} holds what cjm did not write: {listed}",
                          hint="cjm replaces the whole report folder on each run; move these away "
                               "or give a new or empty folder with -o")
    for folder in [target] + [target / name for name in REPORT_FOLDERS]:
        if folder.is_dir() and not folder.is_symlink() and not os.access(folder, os.W_OK | os.X_OK):
            raise OutputError(f"cannot replace {shown}: no permission to write in {folder}",
                              hint="choose another -o")


# --------------------------------------------------------------------------- lock


def lock_path(target: Path) -> Path:
    """`OUT.lock` beside the output: in the parent, so the swap does not move it."""
    return target.with_name(target.name + ".lock")


@contextmanager
def output_lock(target: Path, *, shown: str | Path | None = None) -> Iterator[Path]:
    """Hold `OUT.lock` for the run; a second run into the same output is refused at once. The
    kernel releases an flock when its process dies, so a killed run never blocks the next."""
    path = lock_path(target)
    shown = shown if shown is not None else target
    fd = _acquire(path, shown)
    _HELD_LOCKS.add(fd)
    try:
        yield path
    finally:
        _HELD_LOCKS.discard(fd)
        if fcntl is not None:  # unlink while still holding it: a waiter re-checks the inode
            with suppress(OSError):
                os.unlink(path)
        os.close(fd)


_HELD_LOCKS: set[int] = set()  # the file descriptors of the output locks this process holds


def _close_inherited_locks() -> None:
    """In a forked child (a tagging worker): let go of the parent's output locks. An flock belongs
    to the open file, which a fork shares; a worker that outlived a killed run (finishing its
    interview, or still importing) would otherwise keep the next run out of the folder."""
    for fd in list(_HELD_LOCKS):
        with suppress(OSError):
            os.close(fd)
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_inherited_locks)


def _acquire(path: Path, shown: str | Path) -> int:
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise OutputError(f"{path} is a symbolic link", hint="remove it; cjm locks its output there") from None
            raise OutputError(f"cannot write {shown}: cannot create {path}: {exc.strerror}",
                              hint="choose another -o") from None
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:  # pragma: no cover
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            raise OutputError(f"another cjm run{f' (process {holder})' if holder.isdigit() else ''} is writing "
                              f"{shown}", hint="wait for it to finish or give another folder with -o") from None
        if fcntl is None:  # pragma: no cover
            return fd
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            return fd
        os.close(fd)  # the run before us removed this lock file while we waited: take the new one


# --------------------------------------------------------------------------- staging and swap


def _mark(target: Path) -> str:
    """The prefix of cjm's temporary names beside `target` (hidden; names the target)."""
    digest = hashlib.sha256(os.fsencode(target.name)).hexdigest()[:8]
    return f".{target.name}.cjm-{digest}-"


def _temp_name(target: Path, kind: str) -> Path:
    return target.with_name(f"{_mark(target)}{os.getpid()}-{secrets.token_hex(4)}.{kind}")


def leftovers(target: Path) -> list[Path]:
    """Staging (`.new`) and backup (`.old`) folders that killed runs left beside `target`."""
    mark = _mark(target)
    if not target.parent.is_dir():
        return []
    return sorted(p for p in target.parent.iterdir() if p.name.startswith(mark) and p.suffix in (".new", ".old"))


def recover(target: Path) -> None:
    """Under the lock, tidy what killed runs left: a backup is put back when the target is
    missing (a kill between the two renames of the fallback swap), the rest is removed."""
    found = leftovers(target)
    if not os.path.lexists(target):
        backups = [p for p in found if p.suffix == ".old" and p.is_dir() and not p.is_symlink()]
        if backups:
            newest = max(backups, key=lambda p: p.stat().st_mtime)
            os.rename(newest, target)
            found.remove(newest)
    for path in found:
        remove_tree(path)


def remove_tree(path: Path) -> None:
    """Delete a folder (or a link, as a link): never follows a symlink out of it."""
    if path.is_symlink() or not path.is_dir():
        with suppress(FileNotFoundError):
            path.unlink()
        return
    shutil.rmtree(path, ignore_errors=True)


@contextmanager
def claim_folder(out: str | Path) -> Iterator[Path]:
    """Check the report folder and lock it, before the analysis; yields the absolute target.
    Leftovers of killed runs are tidied here."""
    target = check_target(out, folder=True)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {Path(out).parent}: {exc.strerror}", hint="choose another -o") from None
    with output_lock(target, shown=out):
        recover(target)
        yield target


@contextmanager
def staged_folder(target: Path, *, shown: str | Path | None = None) -> Iterator[Path]:
    """A fresh, empty folder beside `target` to write the whole report into; on a clean exit it
    replaces `target` whole, on any error (or Ctrl-C) it is removed and `target` is untouched.
    Call it inside `claim_folder` (the lock). An OSError while writing becomes an OutputError."""
    shown = shown if shown is not None else target
    staging = _temp_name(target, "new")
    try:
        os.mkdir(staging, 0o777)
    except OSError as exc:
        raise OutputError(f"cannot write beside {shown}: {exc.strerror}", hint="choose another -o") from None
    try:
        try:
            yield staging
        except OSError as exc:
            raise OutputError(f"could not write the report: {str(exc).replace(str(staging), str(shown))}") from None
        if target.is_dir() and not target.is_symlink():
            check_replaceable(target, shown=shown)  # again: the folder may have changed during the run
            _carry_user_files(target, staging)
            os.chmod(staging, stat.S_IMODE(os.stat(target).st_mode))  # the folder keeps its permissions
        try:
            swap_in(staging, target)
        except OSError as exc:
            raise OutputError(f"could not replace {shown}: {exc.strerror}", hint="the old report is kept") from None
    except BaseException:
        remove_tree(staging)
        raise


def write_or_link(path: Path, data: bytes, like: Path | None = None) -> Path:
    """Write `data` to the new file `path`, or, where `like` (the same file of the report folder
    being replaced) is a plain file holding exactly these bytes, hard-link it: a re-run then
    writes only the pages that changed (1,000 unchanged interview pages: 0.05 s linked, 0.4-0.75 s
    written, on this machine). Anything else — no such file, a symbolic link, other bytes, a file
    system without hard links — is a plain write. The old folder is only ever replaced whole, never
    written into, so the shared file is never changed under either name."""
    if like is not None:
        try:
            info = os.lstat(like)
            if stat.S_ISREG(info.st_mode) and info.st_size == len(data) and like.read_bytes() == data:
                os.link(like, path, follow_symlinks=False)
                return path
        except OSError:
            pass
    path.write_bytes(data)
    return path


def _carry_user_files(old: Path, new: Path) -> None:
    """Put the user's plain files of the old folder into the new one: a hard link (the same file,
    so a log still being written stays whole), else a copy."""
    with os.scandir(old) as entries:
        for entry in entries:
            name = entry.name
            if name in OS_CLUTTER or name in REPORT_FILES or name in REPORT_FOLDERS or os.path.lexists(new / name):
                continue
            if entry.is_symlink():
                if name.startswith("."):
                    shutil.copy2(entry.path, new / name, follow_symlinks=False)
                continue
            if entry.is_file(follow_symlinks=False):
                try:
                    os.link(entry.path, new / name, follow_symlinks=False)
                except OSError:
                    shutil.copy2(entry.path, new / name, follow_symlinks=False)


def swap_in(staging: Path, target: Path) -> None:
    """Put `staging` where `target` is, in one step where the system allows (Linux's
    renameat2 RENAME_EXCHANGE), else by two renames with a backup name that `recover` restores
    if a kill falls between them; the old folder is deleted afterwards. Signals wait meanwhile."""
    blocked = _block_signals()
    try:
        if not os.path.lexists(target):
            os.rename(staging, target)
            return
        if target.is_dir() and not target.is_symlink() and exchange(staging, target):
            old = staging  # now holds the old report
        else:
            old = _temp_name(target, "old")
            os.rename(target, old)
            try:
                os.rename(staging, target)
            except OSError:
                os.rename(old, target)
                raise
    finally:
        _unblock_signals(blocked)
    remove_tree(old)


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 with RENAME_EXCHANGE); False where the system
    or the filesystem cannot, so the caller falls back to two renames."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _block_signals() -> set:
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        return set()
    return signal.pthread_sigmask(signal.SIG_BLOCK, _SWAP_SIGNALS)


def _unblock_signals(previous: set) -> None:
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


# --------------------------------------------------------------------------- one file


def atomic_write_text(path: str | Path, text: str) -> Path:
    """`atomic_write_bytes` of the text in UTF-8."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write a file whole or not at all: a temporary file beside it, fsynced, then os.replace.
    An existing symlink at `path` is replaced, never written through."""
    path = Path(path)
    temp = path.with_name(f"{_mark(path)}{os.getpid()}-{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    return path
