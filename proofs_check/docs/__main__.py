"""``python -m proofs_check.docs [--out DIR] [--check] [--no-figures]``: regenerate or check docs/.

The same as ``proofs-check docs``; exit 1 from ``--check`` when a page is stale.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from proofs_check.docs.collect import EvidenceRecord
from proofs_check.docs.site import DEFAULT_OUT, DOCS_SAMPLES, DOCS_SEED, check_docs, generate_docs


def _progress(record: EvidenceRecord) -> None:
    print(
        f"  {record.statement_id}: {record.evidence['verdict']} ({record.samples} samples, "
        f"{record.cpu_seconds:.1f} s CPU)",
        file=sys.stderr,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proofs_check.docs", description=__doc__)
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="docs directory (default: docs)"
    )
    parser.add_argument("--seed", type=int, default=DOCS_SEED)
    parser.add_argument("--samples", type=int, default=DOCS_SAMPLES)
    parser.add_argument("--check", action="store_true", help="only report stale pages")
    parser.add_argument("--no-figures", action="store_true", help="leave the figures alone")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.check:
        result = check_docs(
            args.out, args.seed, args.samples, progress=_progress, figures=not args.no_figures
        )
        for name in result.stale:
            print(f"stale: {name}")
            if name in result.diffs:
                print(result.diffs[name])
        print(f"checked in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        return 1 if result.stale else 0
    written = generate_docs(
        args.out, args.seed, args.samples, figures=not args.no_figures, progress=_progress
    )
    print(
        f"wrote {len(written)} files under {args.out} in {time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
