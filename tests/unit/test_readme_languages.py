"""The three READMEs (English, Simplified Chinese, Japanese) say the same things, in their languages.

Dify shows `readme/README_<language>.md` to users of that language, so a section added to
README.md and forgotten in a translation is missing for them. Section by section (the text
before the first heading, then every heading), each translation must have the same headings
at the same levels, the same tables with as many rows and cells, the same list items, the
same fenced code, the same links, the same inline code and every number the English text
states. All inline code is compared, not only identifiers: here it holds env vars, paths,
commands and the very texts the plugin and Dify show (in English), which users search for,
so it is never translated. The prose must really be in the
translation's language, and the Troubleshooting tables must quote messages the plugin
really has.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from dify_plugin.errors.model import InvokeAuthorizationError
from markdown_it import MarkdownIt
from markdown_it.token import Token

from tools.package import package_files

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = ROOT / "README.md"
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
KANA = re.compile(r"[\u3040-\u309f\u30a0-\u30ff]")
# language -> (file, the script its sentences must use)
TRANSLATIONS = {
    "zh_Hans": (ROOT / "readme" / "README_zh_Hans.md", HAN),
    "ja_JP": (ROOT / "readme" / "README_ja_JP.md", KANA),
}
READMES = (ENGLISH, *(path for path, _ in TRANSLATIONS.values()))

BARE_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&*+,;=%-]+")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Quoted texts are what the plugin or Dify says, kept in English on purpose.
QUOTED = re.compile(r'"[^"]*"|“[^”]*”|「[^」]*」')
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|[。！？]")
# A prose word: letters only, with a lower-case one (units and acronyms such as MB or JPEG stay as they are).
ENGLISH_WORD = re.compile(r"^(?=[A-Za-z]*[a-z])[A-Za-z]{2,}[,.;:!?)]*$")
ENGLISH_WORDS_IN_A_SENTENCE = 3

# Texts in the Troubleshooting tables that come from Dify or its daemon, not from this plugin.
NOT_FROM_THE_PLUGIN = {
    # dify_plugin's InvokeAuthorizationError.description, the text Dify shows for any authorization error.
    InvokeAuthorizationError.description.strip(),
    # dify-plugin-daemon's refusal of a serverless request over MAX_SERVERLESS_REQUEST_BYTES
    # (ServerlessPayloadTooLargeError, internal/core/serverless_runtime/io.go).
    "ServerlessPayloadTooLarge",
    # What the daemon reports for a call it stops at PLUGIN_MAX_EXECUTION_TIMEOUT (issue 10; README, "Time").
    "killed by timeout",
}


@dataclass
class Section:
    """One heading and everything up to the next one."""

    heading: str
    level: int
    tables: list[list[list[bool]]] = field(default_factory=list)  # per table and row: which cells hold text
    fences: list[tuple[str, str]] = field(default_factory=list)  # (info, code)
    code_spans: set[str] = field(default_factory=set)
    links: set[str] = field(default_factory=set)
    list_items: int = 0
    prose: list[str] = field(default_factory=list)  # per paragraph, cell or heading: text outside code
    first_cells: list[list[str]] = field(default_factory=list)  # code spans of each table body row's first cell

    def numbers(self) -> set[str]:
        return {number for text in self.prose for number in NUMBER.findall(text)}


def link_target(href: str, readme: Path) -> str:
    """A web address as it is; a file link as its path from the project root (so links from readme/ compare)."""
    if re.match(r"[a-z]+:", href) or href.startswith("#"):
        return href
    path, _, anchor = href.partition("#")
    target = (readme.parent / path).resolve().relative_to(ROOT).as_posix()
    return f"{target}#{anchor}" if anchor else target


def _read_inline(token: Token, section: Section, readme: Path, first_cell: bool) -> None:
    prose: list[str] = []
    spans: list[str] = []
    for child in token.children or []:
        if child.type == "code_inline":
            spans.append(child.content)
        elif child.type == "link_open":
            section.links.add(link_target(str(child.attrs["href"]), readme))
        elif child.type == "text":
            prose.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            prose.append(" ")
    text = "".join(prose)
    section.links.update(url.rstrip(".,;:") for url in BARE_URL.findall(text))
    section.code_spans.update(spans)
    section.prose.append(BARE_URL.sub(" ", text))
    if first_cell:
        section.first_cells.append(spans)


def parse(readme: Path) -> list[Section]:
    """The README's sections, read by a CommonMark parser with GitHub tables.

    The parser pads a short table row with empty cells, so a row's shape is which of its cells
    hold text: two cells merged by a lost `|` leave an empty one at the end.
    """
    tokens = MarkdownIt("commonmark").enable("table").parse(readme.read_text(encoding="utf-8"))
    sections = [Section("(before the first heading)", 0)]
    in_body = in_cell = False
    for index, token in enumerate(tokens):
        section = sections[-1]
        if token.type == "heading_open":
            sections.append(Section(tokens[index + 1].content, int(token.tag[1:])))
        elif token.type == "table_open":
            section.tables.append([])
        elif token.type in ("thead_open", "tbody_open", "table_close"):
            in_body = token.type == "tbody_open"
        elif token.type == "tr_open":
            section.tables[-1].append([])
        elif token.type in ("th_open", "td_open", "th_close", "td_close"):
            in_cell = token.type.endswith("_open")
            if in_cell:
                section.tables[-1][-1].append(False)
        elif token.type in ("fence", "code_block"):
            section.fences.append((token.info.strip(), token.content))
        elif token.type == "list_item_open":
            section.list_items += 1
        elif token.type == "inline":
            row = section.tables[-1][-1] if in_cell else None
            if row is not None:
                row[-1] = bool(token.content.strip())
            _read_inline(token, section, readme, first_cell=in_body and row is not None and len(row) == 1)
    return sections


def without_switcher(section: Section) -> set[str]:
    """Links of a section except those between the READMEs (each file links the other two)."""
    readmes = {path.relative_to(ROOT).as_posix() for path in READMES}
    return {link for link in section.links if link not in readmes}


def untranslated(section: Section, script: re.Pattern[str]) -> list[str]:
    """Sentences of English words with no character of the translation's script."""
    found = []
    for block in section.prose:
        for sentence in SENTENCE_END.split(QUOTED.sub(" ", block)):
            words = [word for word in sentence.split() if ENGLISH_WORD.match(word)]
            if len(words) >= ENGLISH_WORDS_IN_A_SENTENCE and not script.search(sentence):
                found.append(sentence.strip())
    return found


def differences(english: list[Section], translated: list[Section], script: re.Pattern[str]) -> list[str]:
    """Every way the translation is out of step with the English README, one line each."""
    problems = []
    levels = [(s.level, s.heading) for s in english]
    if [s.level for s in translated] != [level for level, _ in levels]:
        return [f"headings differ: English {levels}, translation {[(s.level, s.heading) for s in translated]}"]
    for ours, theirs in zip(english, translated, strict=True):
        where = f"section '{ours.heading}'"
        checks = (
            ("tables (filled cells per row)", ours.tables, theirs.tables),
            ("fenced code", ours.fences, theirs.fences),
            ("list items", ours.list_items, theirs.list_items),
            ("inline code", ours.code_spans, theirs.code_spans),
            ("links", without_switcher(ours), without_switcher(theirs)),
        )
        for what, expected, got in checks:
            if isinstance(expected, set) and expected != got:
                problems.append(f"{where}: {what}: missing {sorted(expected - got)}, extra {sorted(got - expected)}")
            elif expected != got:
                problems.append(f"{where}: {what} differ: English {expected!r}, translation {got!r}")
        missing_numbers = ours.numbers() - theirs.numbers()
        if missing_numbers:
            problems.append(f"{where}: numbers missing from the translation: {sorted(missing_numbers)}")
        problems.extend(f"{where}: not translated: {s!r}" for s in untranslated(theirs, script))
    return problems


@pytest.mark.parametrize("language", sorted(TRANSLATIONS))
def test_translation_keeps_the_english_structure_and_is_in_its_language(language: str):
    path, script = TRANSLATIONS[language]
    problems = differences(parse(ENGLISH), parse(path), script)
    assert not problems, "\n".join(problems)


def test_the_chinese_readme_is_not_japanese():
    path, _ = TRANSLATIONS["zh_Hans"]
    kana = [block for section in parse(path) for block in section.prose if KANA.search(block)]
    assert not kana


@pytest.mark.parametrize("readme", READMES, ids=lambda p: p.name)
def test_first_line_switches_to_the_other_languages(readme: Path):
    first = readme.read_text(encoding="utf-8").splitlines()[0]
    targets = {link_target(href, readme) for href in re.findall(r"\]\(([^)]+)\)", first)}
    assert targets == {other.relative_to(ROOT).as_posix() for other in READMES if other != readme}


@pytest.mark.parametrize("readme", READMES, ids=lambda p: p.name)
def test_links_to_project_files_exist(readme: Path):
    local = {link.partition("#")[0] for s in parse(readme) for link in s.links if not re.match(r"[a-z]+:|#", link)}
    assert local
    assert not [link for link in local if not (ROOT / link).exists()]


def test_the_translations_ship_in_the_package():
    shipped = set(package_files(ROOT))
    assert all(path in shipped for path, _ in TRANSLATIONS.values())


def string_pieces() -> set[str]:
    """The literal parts of every string in the plugin's code (f-string fields cut out)."""
    pieces: set[str] = set()
    for path in [*(ROOT / "provider").rglob("*.py"), *(ROOT / "models").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                pieces.add(node.value)
    return pieces


def fragments(message: str) -> list[str]:
    """The parts of a quoted message that the code must contain word for word."""
    parts = re.split(r"\.\.\.|\d+(?:[.,]\d+)*|['()]", message)
    return [part for part in (p.strip(" .,;:!?") for p in parts) if len(part) >= 6]


def test_troubleshooting_quotes_what_the_plugin_really_says():
    sections = parse(ENGLISH)
    start = next(i for i, s in enumerate(sections) if s.heading == "Troubleshooting")
    end = next(i for i in range(start + 1, len(sections)) if sections[i].level <= sections[start].level)
    quoted = [span for s in sections[start:end] for spans in s.first_cells for span in spans]
    assert len(quoted) >= 40
    pieces = string_pieces()
    unknown = [
        (span, part)
        for span in quoted
        if span.strip() not in NOT_FROM_THE_PLUGIN
        for part in fragments(span)
        if not any(part in piece for piece in pieces)
    ]
    assert not unknown
