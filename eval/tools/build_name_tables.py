"""Build the English name tables in cjm/data/ that cjm.redact reads (run once; the output is committed).

    pip download names==0.3.0 --no-deps && tar xzf names-0.3.0.tar.gz
    python eval/tools/build_name_tables.py names-0.3.0/names

Sources, both free to redistribute:
- first names and surnames: the US Census Bureau's 1990 name frequency lists (public domain), as
  shipped in the `names` package on PyPI (dist.male.first, dist.female.first, dist.all.last);
- common lower-case words: spaCy's English lexeme probabilities (spacy-lookups-data,
  en_lexeme_prob, MIT): words at least as frequent in lower case as capitalised, log-prob >= -16.
  A capitalised word NOT in this list reads as a proper noun ("Okonkwo", "Whitfield"). Words at
  least 8 times (e^2) more frequent in lower case are marked " *": strongly ordinary ("Tell"), they
  do not count as names even where the census lists them as surnames.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import spacy_lookups_data

OUT = Path(__file__).resolve().parents[2] / "cjm" / "data"
SURNAMES = 30_000  # the most frequent; the rest are single families
MIN_LOG_PROB = -16.0
STRONG = 2.0  # log-prob margin of lower case over capitalised for a " *" word


def census(path: Path, limit: int | None = None) -> list[str]:
    names = [line.split()[0].capitalize() for line in path.read_text(encoding="ascii").splitlines() if line.strip()]
    return list(dict.fromkeys(names))[:limit]


def main(folder: str) -> None:
    source = Path(folder)
    first = sorted(set(census(source / "dist.male.first")) | set(census(source / "dist.female.first")))
    last = census(source / "dist.all.last", SURNAMES)
    table = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    prob = json.load(gzip.open(table))
    common = sorted(w + (" *" if p - prob.get(w.capitalize(), -99.0) >= STRONG else "")
                    for w, p in prob.items() if w.isalpha() and w.islower() and p >= MIN_LOG_PROB
                    and p >= prob.get(w.capitalize(), -99.0))
    header = "# Built by eval/tools/build_name_tables.py; see its docstring for the source and licence.\n"
    (OUT / "names-en-first.txt").write_text(header + "\n".join(first) + "\n", encoding="utf-8")
    (OUT / "names-en-last.txt").write_text(header + "\n".join(last) + "\n", encoding="utf-8")
    (OUT / "words-en-lower.txt").write_text(header + "\n".join(common) + "\n", encoding="utf-8")
    print(f"{len(first)} first names, {len(last)} surnames, {len(common)} common lower-case words")


if __name__ == "__main__":
    main(sys.argv[1])
