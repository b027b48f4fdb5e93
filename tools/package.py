"""Build the .difypkg Dify installs: a zip of the plugin tree minus what .difyignore excludes,
plus a requirements.txt exported from uv.lock, as Dify's own packager adds it.

Usage: python tools/package.py [output-dir]   (prints the package path)

dify-plugin-daemon's packager (pkg/plugin_packager/packager/packager.go, exportRequirementsFromUv)
writes requirements.txt with `uv export` when the tree has none; the daemon installs from it
instead of `uv sync` when PIP_MIRROR_URL is set (internal/core/local_runtime/setup_python_environment.go).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pathspec
import yaml

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = "requirements.txt"
# The daemon packager's exact flags: locked versions, no dev group, no project line, no hashes.
UV_EXPORT_ARGS = (
    "export",
    "--frozen",
    "--format",
    "requirements.txt",
    "--no-group",
    "dev",
    "--no-emit-project",
    "--no-hashes",
    "--no-header",
    "--no-annotate",
)
_FIND_UV = "from uv import find_uv_bin; print(find_uv_bin())"


class PackagingError(RuntimeError):
    """The package cannot be built as Dify's packager would build it."""


def _uv_from_python(python: str) -> str | None:
    try:
        result = subprocess.run([python, "-c", _FIND_UV], capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    path = result.stdout.strip()
    return path if result.returncode == 0 and Path(path).is_file() else None


def uv_binary() -> str:
    """The uv executable: $UV_PATH (as the daemon's packager), else the `uv` package of this Python,
    its base interpreter (tools/setup.sh installs uv there), or a python3 on PATH, else `uv` on PATH.
    A real path is preferred to a shim, so it works from any directory."""
    if os.environ.get("UV_PATH"):
        return os.environ["UV_PATH"]
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    for python in (sys.executable, str(base), shutil.which("python3.12"), shutil.which("python3")):
        found = python and _uv_from_python(python)
        if found:
            return found
    on_path = shutil.which("uv")
    if on_path:
        return on_path
    raise PackagingError("uv is needed to export requirements.txt: `python -m pip install uv`, or set UV_PATH")


def export_requirements(root: Path = ROOT) -> bytes:
    """requirements.txt from uv.lock, exactly as `dify plugin package` exports it."""
    result = subprocess.run([uv_binary(), *UV_EXPORT_ARGS], cwd=root, capture_output=True, timeout=120)
    if result.returncode != 0:
        raise PackagingError(f"uv export failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def package_files(root: Path = ROOT) -> list[Path]:
    """Files to ship, sorted, with .difyignore (gitignore syntax) applied as Dify's packager does."""
    spec = pathspec.GitIgnoreSpec.from_lines((root / ".difyignore").read_text().splitlines())
    files = [p for p in root.rglob("*") if p.is_file() and not spec.match_file(p.relative_to(root).as_posix())]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def build(output_dir: Path, root: Path = ROOT) -> Path:
    manifest = yaml.safe_load((root / "manifest.yaml").read_text())
    target = output_dir / f"{manifest['name']}-{manifest['version']}.difypkg"
    entries: dict[str, Path | bytes] = {p.relative_to(root).as_posix(): p for p in package_files(root)}
    # Like the daemon's packager: a requirements.txt already in the tree wins over the export.
    entries.setdefault(REQUIREMENTS, export_requirements(root))
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            content = entries[name]
            if isinstance(content, bytes):
                archive.writestr(name, content)
            else:
                archive.write(content, name)
    return target


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT))
