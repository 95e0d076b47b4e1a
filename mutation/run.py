"""Mutation testing for cjm: make one small break at a time and check that the fast tests notice.

    python -m mutation.run                      # every default target (mutation/config.py)
    python -m mutation.run --module decode      # one target (repeatable)
    python -m mutation.run --module evidence --limit 20 --list   # show the mutants, run none

Mutants are generated from each module's AST (comparison swaps, `and`/`or`, `not` removed, numbers
moved, return values replaced, `if` bodies and statements deleted, `if` conditions dropped, cue
strings blanked) and from the codebook YAML (one phrase removed from a family). Each is written
into a temporary copy of the package — the working tree is never edited — and judged by the
target's tests. A mutant is killed when a test fails (or the run times out or crashes). Prints
one line per surviving mutant, the share killed per target, and last `mutation score X` (killed /
all, over every target run; equivalent mutants listed in config.EQUIVALENT count as neither).

Speed: the parent imports the heavy third-party libraries once and forks a child per mutant
(2 at a time), so a mutant costs its tests, not Python's and spaCy's start-up.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import config

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "cjm"
LINKED = ("templates",)  # read by the package from the checkout; linked, not copied


@dataclass(frozen=True)
class Mutant:
    target: str
    path: str  # inside the package copy, e.g. cjm/evidence.py
    line: int
    operator: str
    col: int = 0
    index: int = -1  # which matching AST node (walk order) or YAML line
    text: str = ""  # the whole mutated file, filled in when applied

    @property
    def key(self) -> str:
        return f"{self.line}:{self.col} {self.operator}"


# --------------------------------------------------------------------------- Python mutants

COMPARE_SWAP = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq,
                ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
SYMBOL = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!=", ast.In: "in",
          ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}


def docstring_nodes(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def skipped_nodes(tree: ast.AST) -> set[int]:
    """Nodes no mutant touches: docstrings, annotations, f-string pieces, imports, `__future__`."""
    skip = docstring_nodes(tree)
    for node in ast.walk(tree):
        parts: list[ast.AST] = []
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.JoinedStr)):
            parts = [node]
        elif isinstance(node, ast.AnnAssign):
            parts = [node.annotation]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            parts = [a.annotation for a in node.args.args + node.args.kwonlyargs + node.args.posonlyargs if a.annotation]
            parts += [node.returns] if node.returns else []
            parts += node.decorator_list
        elif isinstance(node, ast.ClassDef):
            parts = list(node.decorator_list)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("Mention",):
            parts = []
        for part in parts:
            skip.update(id(n) for n in ast.walk(part))
    return skip


def in_scope(tree: ast.Module, only: list[str] | None) -> set[int]:
    """ids of the nodes inside the named top-level functions/classes (or `Class.method`)."""
    if only is None:
        return {id(n) for n in ast.walk(tree)}
    nodes: set[int] = set()
    for top in tree.body:
        name = getattr(top, "name", None)
        if isinstance(top, (ast.Assign, ast.AnnAssign)):
            targets = top.targets if isinstance(top, ast.Assign) else [top.target]
            name = next((t.id for t in targets if isinstance(t, ast.Name)), None)
        if name in only:
            nodes.update(id(n) for n in ast.walk(top))
        elif isinstance(top, ast.ClassDef):
            for member in top.body:
                if f"{name}.{getattr(member, 'name', '')}" in only:
                    nodes.update(id(n) for n in ast.walk(member))
    return nodes


def is_cue_string(node: ast.Constant, parents: dict[int, ast.AST]) -> bool:
    """A word inside a literal tuple/list/set (a vocabulary written in code): worth blanking."""
    parent = parents.get(id(node))
    return isinstance(node.value, str) and bool(node.value.strip()) and isinstance(parent, (ast.Tuple, ast.List, ast.Set))


def sites(tree: ast.Module, only: list[str] | None) -> list[tuple[int, str, int, int]]:
    """Every (walk index, operator, line) a mutant can be made at, in a fixed order."""
    skip, scope = skipped_nodes(tree), in_scope(tree, only)
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    out: list[tuple[int, str, int, int]] = []
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skip or id(node) not in scope:
            continue
        line = getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
        if isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                if type(op) in COMPARE_SWAP:
                    new = SYMBOL[COMPARE_SWAP[type(op)]]
                    out.append((index, f"compare{k}:{SYMBOL[type(op)]}->{new}", line))
        elif isinstance(node, ast.BoolOp):
            out.append((index, "boolop:and->or" if isinstance(node.op, ast.And) else "boolop:or->and", line))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            out.append((index, "not:removed", line))
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            out.append((index, f"number:{node.value!r}->{moved(node.value)!r}", line))
        elif isinstance(node, ast.Constant) and is_cue_string(node, parents):
            out.append((index, f"string:{node.value!r}->''", line))
        elif isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, bool):
                out.append((index, f"return:{value.value}->{not value.value}", line))
            elif not (isinstance(value, ast.Constant) and value.value is None):
                out.append((index, "return:->None", line))
        elif isinstance(node, ast.If):
            out.append((index, "if:body->pass", line))
            if not (isinstance(node.test, ast.Constant)):
                out.append((index, "if:condition->True", line))
        elif isinstance(node, (ast.Expr, ast.Continue, ast.Break, ast.AugAssign)) and id(node) not in skip:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue
            out.append((index, f"statement:{type(node).__name__.lower()}->pass", line))
    return out


def moved(value: int | float) -> int | float:
    if isinstance(value, int):
        return value + 1
    return value * 2 if value else 1.0


def apply_site(source: str, index: int, operator: str) -> str:
    """The module's source with one mutation made at the `index`-th node of `ast.walk`."""
    tree = ast.parse(source)
    node = list(ast.walk(tree))[index]
    kind = operator.split(":", 1)[0]
    if kind.startswith("compare"):
        k = int(kind[len("compare"):])
        node.ops[k] = COMPARE_SWAP[type(node.ops[k])]()
    elif kind == "boolop":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "not":
        replace_node(tree, node, node.operand)
    elif kind == "number":
        node.value = moved(node.value)
    elif kind == "string":
        node.value = ""
    elif kind == "return":
        node.value = ast.Constant(not node.value.value) if operator.endswith(("True", "False")) and \
            isinstance(node.value, ast.Constant) else ast.Constant(None)
    elif operator == "if:body->pass":
        node.body = [ast.Pass()]
    elif operator == "if:condition->True":
        node.test = ast.Constant(True)
    elif kind == "statement":
        replace_node(tree, node, ast.Pass())
    else:
        raise ValueError(operator)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def replace_node(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
                return
            if isinstance(value, list) and any(v is old for v in value):
                setattr(parent, name, [new if v is old else v for v in value])
                return
    raise ValueError("node not found")


def python_mutants(target: str, spec: dict) -> list[Mutant]:
    source = (ROOT / spec["path"]).read_text(encoding="utf-8")
    tree = ast.parse(source)
    found = [Mutant(target, spec["path"], line, op, col, index) for index, op, (line, col) in sites(tree, spec.get("only"))]
    return sorted(found, key=lambda m: (m.line, m.col, m.operator))


# --------------------------------------------------------------------------- codebook mutants

def yaml_mutants(target: str, spec: dict) -> list[Mutant]:
    """One phrase removed from a family (cues.negation.ru, lexicons.lost_deal.en, ...): its line deleted."""
    import yaml

    text = (ROOT / spec["path"]).read_text(encoding="utf-8")
    lines = text.splitlines()
    root = yaml.compose(text)
    out: list[Mutant] = []

    def walk(node, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, path + (str(key.value),))
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                if isinstance(item, yaml.ScalarNode):
                    line = item.start_mark.line
                    if item.end_mark.line == line and lines[line].lstrip().startswith("- "):
                        out.append(Mutant(target, spec["path"], line + 1, f"phrase:{'.'.join(path)}:{item.value!r}->removed", 0, line))
                else:
                    walk(item, path)

    walk(root, ())
    families = tuple(spec.get("families", ()))
    return [m for m in out if m.operator.split(":")[1].startswith(families)]


def mutated_text(mutant: Mutant) -> str:
    source = (ROOT / mutant.path).read_text(encoding="utf-8")
    if mutant.operator.startswith("phrase:"):
        lines = source.splitlines(keepends=True)
        del lines[mutant.index]
        return "".join(lines)
    return apply_site(source, mutant.index, mutant.operator)


def generate(target: str, limit: int | None, seed: int = config.SEED) -> list[Mutant]:
    spec = config.TARGETS[target]
    found = yaml_mutants(target, spec) if spec["path"].endswith((".yaml", ".yml")) else python_mutants(target, spec)
    cap = limit if limit is not None else spec.get("limit")
    if cap is not None and len(found) > cap:  # a seeded sample, in source order: the same mutants every run
        found = sorted(random.Random(f"{seed}:{target}").sample(found, cap), key=lambda m: (m.line, m.col, m.operator))
    return found


# --------------------------------------------------------------------------- running

HEAVY = ("spacy", "pandas", "scipy.stats", "numpy", "natasha", "pycrfsuite", "pymorphy3", "jinja2", "click",
         "yaml", "docx", "charset_normalizer", "plotly", "pytest", "hypothesis")


def preload() -> None:
    """Import the third-party libraries once in the parent (never cjm: each child imports its own copy)."""
    import importlib

    for name in HEAVY:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    assert PACKAGE not in sys.modules, "the runner must not import the package it mutates"


def make_slot(base: Path, n: int) -> Path:
    """A private copy of the package (and links to what it reads from the checkout) for one worker."""
    slot = base / f"slot{n}"
    shutil.copytree(ROOT / PACKAGE, slot / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    for name in LINKED:
        if (ROOT / name).exists():
            (slot / name).symlink_to(ROOT / name)
    return slot


def pytest_args(spec: dict) -> list[str]:
    args = [str(ROOT / t) for t in spec["tests"] if (ROOT / t).exists()]
    args += ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-m", "not browser"]
    if spec.get("k"):
        args += ["-k", spec["k"]]
    return args


def child(slot: Path, spec: dict, quiet: bool) -> None:
    """In the forked child: import the slot's package, run the tests, exit with pytest's code."""
    os.setpgid(0, 0)
    os.chdir(slot)
    sys.path.insert(0, str(slot))
    sys.dont_write_bytecode = True
    if quiet:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
    code = 3
    try:
        import pytest

        code = int(pytest.main(pytest_args(spec)))
        if not sys.modules[PACKAGE].__file__.startswith(str(slot)):
            code = 99  # imported the working tree's package: the run proves nothing
    finally:
        os._exit(code)


CPU = [0.0]  # CPU seconds of every finished child: what the run costs on an idle machine


@dataclass
class Running:
    pid: int
    slot: int
    mutant: Mutant | None
    target: str
    started: float
    deadline: float


def run_all(jobs: list[tuple[Mutant | None, dict]], workers: int, timeouts: dict[str, float],
            quiet: bool = True, progress: bool = False) -> list[tuple[Mutant | None, str, float, str]]:
    """Run each job (None = the clean copy) in a forked child, `workers` at a time."""
    base = Path(tempfile.mkdtemp(prefix="cjm-mutation-"))
    slots = [make_slot(base, n) for n in range(workers)]
    free = list(range(workers))
    running: list[Running] = []
    results: list[tuple[Mutant | None, str, float, str]] = []
    pending = list(jobs)
    try:
        while pending or running:
            while pending and free:
                mutant, spec = pending.pop(0)
                n = free.pop(0)
                slot = slots[n]
                if mutant is not None:
                    (slot / mutant.path).write_text(mutant.text, encoding="utf-8")
                pid = os.fork()
                if pid == 0:
                    child(slot, spec, quiet)
                target = mutant.target if mutant else spec["name"]
                now = time.monotonic()
                running.append(Running(pid, n, mutant, target, now, now + timeouts.get(target, 600.0)))
            time.sleep(0.05)
            for job in list(running):
                pid, status, usage = os.wait4(job.pid, os.WNOHANG)
                timed_out = pid == 0 and time.monotonic() > job.deadline
                if pid == 0 and not timed_out:
                    continue
                if timed_out:
                    os.killpg(job.pid, signal.SIGKILL)
                    _, _, usage = os.wait4(job.pid, 0)
                    outcome = "timeout"
                else:
                    code = os.waitstatus_to_exitcode(status)
                    outcome = {0: "survived", 1: "killed", 99: "wrong-import"}.get(code, f"error{code}")
                    if code in (2, 3):  # collection or import error, or the test run crashed (an exit at
                        outcome = "killed"  # import): the clean copy passed, so the mutant broke the module
                results.append((job.mutant, outcome, time.monotonic() - job.started, job.target))
                CPU[0] += usage.ru_utime + usage.ru_stime
                if progress and len(results) % 10 == 0:
                    print(f"  ... {len(results)}/{len(jobs)} run", file=sys.stderr, flush=True)
                if job.mutant is not None:  # put the original file back for the next job in this slot
                    shutil.copyfile(ROOT / job.mutant.path, slots[job.slot] / job.mutant.path)
                running.remove(job)
                free.append(job.slot)
    finally:
        for job in running:
            os.killpg(job.pid, signal.SIGKILL)
        shutil.rmtree(base, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mutation.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", choices=sorted(config.TARGETS), help="a target (repeatable)")
    parser.add_argument("--limit", type=int, help="at most this many mutants per target (seeded sample)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=config.SEED, help="another seed draws another sample")
    parser.add_argument("--list", action="store_true", help="print the mutants and run none")
    parser.add_argument("--verbose", action="store_true", help="show the tests' output")
    args = parser.parse_args(argv)
    targets = args.module or [t for t, s in config.TARGETS.items() if s.get("default", True)]
    mutants = {t: generate(t, args.limit, args.seed) for t in targets}
    if args.list:
        for target in targets:
            for m in mutants[target]:
                print(f"{target} {m.path}:{m.key}")
        print(f"{sum(map(len, mutants.values()))} mutants")
        return 0
    started = time.monotonic()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `kill PID`: the finally blocks end the children
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C works even when started in background
    preload()
    specs = {t: {**config.TARGETS[t], "name": t} for t in targets}
    clean = run_all([(None, specs[t]) for t in targets], args.workers, {}, quiet=not args.verbose)
    timeouts: dict[str, float] = {}
    for _, outcome, seconds, target in sorted(clean, key=lambda r: targets.index(r[3])):
        if outcome != "survived":
            print(f"{target}: the clean copy does not pass its tests ({outcome}); fix that first", file=sys.stderr)
            return 2
        timeouts[target] = seconds * config.TIMEOUT_FACTOR + config.TIMEOUT_SLACK
        print(f"{target}: {len(mutants[target])} mutants, clean tests {seconds:.1f} s", flush=True)
    jobs = []
    for target in targets:
        for m in mutants[target]:
            try:
                text = mutated_text(m)
            except (ValueError, SyntaxError) as exc:  # a mutation the grammar does not allow
                print(f"  skipped {m.path}:{m.key} ({exc})")
                continue
            if text == (ROOT / m.path).read_text(encoding="utf-8"):
                continue
            jobs.append((Mutant(m.target, m.path, m.line, m.operator, m.col, m.index, text), specs[target]))
    CPU[0] = 0.0
    results = run_all(jobs, args.workers, timeouts, quiet=not args.verbose, progress=True)
    killed_all = total_all = 0
    print()
    for target in targets:
        rows = [(m, outcome) for m, outcome, _, _ in results if m is not None and m.target == target]
        equivalent = config.EQUIVALENT.get(target, {})
        counted = [(m, o) for m, o in rows if m.key not in equivalent and m.operator not in equivalent]
        killed = sum(o in ("killed", "timeout") for _, o in counted)
        for m, outcome in counted:
            if outcome not in ("killed", "timeout"):
                print(f"  {outcome}: {m.path}:{m.key}")
        share = killed / len(counted) if counted else 1.0
        print(f"{target}: {killed}/{len(counted)} killed ({share:.2f})"
              + (f", {len(rows) - len(counted)} equivalent" if len(rows) != len(counted) else ""), flush=True)
        killed_all += killed
        total_all += len(counted)
    print(f"{len(results)} mutants in {time.monotonic() - started:.0f} s with {args.workers} workers "
          f"({CPU[0]:.0f} s of CPU in the tests, {CPU[0] / max(1, len(results)):.1f} s a mutant)")
    print(f"mutation score {killed_all / total_all if total_all else 1.0:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
