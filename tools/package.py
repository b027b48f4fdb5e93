"""Build the .difypkg Dify installs: a zip of the plugin tree minus what .difyignore excludes.

Usage: python tools/package.py [output-dir]   (prints the package path)
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pathspec
import yaml

ROOT = Path(__file__).resolve().parent.parent


def package_files(root: Path = ROOT) -> list[Path]:
    """Files to ship, sorted, with .difyignore (gitignore syntax) applied as Dify's packager does."""
    spec = pathspec.GitIgnoreSpec.from_lines((root / ".difyignore").read_text().splitlines())
    files = [p for p in root.rglob("*") if p.is_file() and not spec.match_file(p.relative_to(root).as_posix())]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def build(output_dir: Path, root: Path = ROOT) -> Path:
    manifest = yaml.safe_load((root / "manifest.yaml").read_text())
    target = output_dir / f"{manifest['name']}-{manifest['version']}.difypkg"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in package_files(root):
            archive.write(path, path.relative_to(root).as_posix())
    return target


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT))
