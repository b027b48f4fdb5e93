"""Compare AtlasCloud's live model list with the predefined models the plugin ships.

Usage: python tools/sync_catalog.py [--endpoint URL | --snapshot FILE] [--save FILE] [--write] [--root DIR]

Reads GET {endpoint}/v1/models (public, no key) or a saved copy of it, compares it with
tools/catalog/curated.yaml and the YAMLs built from it, and prints what was added upstream,
what is gone or not ready, and which numbers changed (context, max output, vision, features,
prices per 1M tokens). --write rewrites the numbers the list proves (context, max output,
prices) in the curated file and regenerates the YAMLs; curated fields (names, vision,
features, reasoning switches, image rules, rankers) and the set of models are left for a
person to decide.

Exit code: 0 in sync, 1 differences found (also after --write), 2 error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.build_catalog import CURATED, render, stale_files, write  # noqa: E402
from tools.catalog.compare import compare, format_report  # noqa: E402
from tools.catalog.curated import CatalogError, load_catalog, parse_catalog, rewrite_numbers  # noqa: E402
from tools.catalog.upstream import DEFAULT_ENDPOINT, UpstreamError, fetch, models_url, parse_listing  # noqa: E402


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--endpoint", default=DEFAULT_ENDPOINT, help=f"AtlasCloud endpoint (default {DEFAULT_ENDPOINT})"
    )
    source.add_argument("--snapshot", type=Path, help="read a saved /v1/models JSON instead of the network")
    parser.add_argument("--save", type=Path, help="save the fetched /v1/models body to this file")
    parser.add_argument("--write", action="store_true", help="rewrite the proven numbers and regenerate the YAMLs")
    parser.add_argument("--root", type=Path, default=ROOT, help="project root (default: this checkout)")
    return parser.parse_args(argv)


def _read(args: argparse.Namespace) -> tuple[bytes, str]:
    if args.snapshot is not None:
        try:
            return args.snapshot.read_bytes(), str(args.snapshot)
        except OSError as error:
            raise UpstreamError(f"cannot read snapshot {args.snapshot}: {error.strerror}") from None
    return fetch(args.endpoint), models_url(args.endpoint)


def _write(root: Path, updates: dict) -> list[str]:
    curated_path = root / CURATED
    text = curated_path.read_text(encoding="utf-8")
    new_text = rewrite_numbers(text, updates) if updates else text
    files = render(parse_catalog(new_text))
    if new_text != text:
        curated_path.write_text(new_text, encoding="utf-8")
    changed = write(root, files)
    numbers = sum(len(fields) for fields in updates.values())
    return [
        "",
        f"Wrote {numbers} numbers to {CURATED.as_posix()} and regenerated {len(changed)} YAML file(s); "
        "the [review] items, added and removed models are left for you.",
    ]


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        catalog = load_catalog(args.root / CURATED)
        body, source = _read(args)
        if args.save is not None:
            args.save.write_bytes(body)
        listing = parse_listing(body)
        report = compare(catalog, listing, stale_files(args.root, render(catalog)))
        lines = format_report(report, source, len(listing), len(catalog.models), CURATED.as_posix())
        if args.write and not report.in_sync:
            lines += _write(args.root, report.updates())
    except (UpstreamError, CatalogError, OSError) as error:
        print(f"sync_catalog: error: {error}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0 if report.in_sync else 1


if __name__ == "__main__":
    sys.exit(main())
