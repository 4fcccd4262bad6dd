"""No link in the README, CONTRIBUTING (any top-level or docs/ Markdown file) or a notebook's Markdown cells points
at something missing: dead links are how course repositories rot.

Offline by design: a relative link must name a file or folder inside the repository (and a heading, if it has an
``#anchor``); an external link is only checked for being a well-formed http(s) or mailto address.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent

_FENCED_CODE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"(`+).+?\1", re.DOTALL)
_INLINE_LINK = re.compile(r"\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
_REFERENCE_LINK = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)", re.MULTILINE)
_HTML_LINK = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]*)>", re.IGNORECASE)
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)
_HTML_ANCHOR = re.compile(r"<a\b[^>]*?\b(?:id|name)\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$|^localhost$|^127\.0\.0\.1$")


def _without_code(markdown: str) -> str:
    return _INLINE_CODE.sub("", _FENCED_CODE.sub("", markdown))


def links(markdown: str) -> list[str]:
    """Every link target in ``markdown`` (inline, reference, HTML and autolinks) in reading order, ignoring code."""
    text = _without_code(markdown)
    patterns = (_INLINE_LINK, _REFERENCE_LINK, _HTML_LINK, _AUTOLINK)
    found = sorted((m.start(), m.group(1)) for pattern in patterns for m in pattern.finditer(text))
    return [target[1:-1] if target.startswith("<") and target.endswith(">") else target for _, target in found]


def anchors(markdown: str) -> set[str]:
    """The ``#anchors`` a reader can jump to: GitHub's heading slugs, JupyterLab's, and explicit ``<a id=...>``."""
    names = set(_HTML_ANCHOR.findall(markdown))
    seen: dict[str, int] = {}
    for heading in _HEADING.findall(_FENCED_CODE.sub("", markdown)):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").replace("*", "").strip()
        github = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        count = seen.get(github, 0)
        seen[github] = count + 1
        names.add(github if count == 0 else f"{github}-{count}")
        names.add(text.replace(" ", "-"))
    return names


def markdown_of(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return path.read_text(encoding="utf-8")


def link_problems(path: Path, *, root: Path = ROOT) -> list[str]:
    """One message per broken link in the Markdown file or notebook at ``path``."""
    markdown = markdown_of(path)
    problems = []
    for target in links(markdown):
        problem = _link_problem(target, path=path, markdown=markdown, root=root)
        if problem:
            problems.append(f"{path.relative_to(root)}: {target!r}: {problem}")
    return problems


def _link_problem(target: str, *, path: Path, markdown: str, root: Path) -> str | None:
    parts = urlsplit(target)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        well_formed = _HOST.match(parts.hostname or "") and not re.search(r"\s", target)
        return None if well_formed else "not a well-formed web address"
    if scheme == "mailto":
        well_formed = re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", parts.path)
        return None if well_formed else "not a well-formed e-mail address"
    if scheme == "data" and target.startswith("data:image/"):
        return None
    if scheme:
        return f"links with {scheme}: do not work for other readers"
    if not parts.path:
        return None if unquote(parts.fragment) in anchors(markdown) else "no such heading in this document"
    if parts.path.startswith("/"):
        return "absolute paths depend on the machine; link relative to the file"
    return _file_link_problem(parts.path, parts.fragment, path=path, root=root)


def _file_link_problem(relative: str, fragment: str, *, path: Path, root: Path) -> str | None:
    linked = (path.parent / unquote(relative)).resolve()
    if not linked.is_relative_to(root.resolve()):
        return "points outside the repository"
    if not linked.exists():
        return "no such file"
    if fragment and linked.suffix in (".md", ".ipynb") and unquote(fragment) not in anchors(markdown_of(linked)):
        return f"no such heading in {linked.name}"
    return None


def documents(root: Path = ROOT) -> list[Path]:
    found = [
        *root.glob("*.md"),
        *root.glob("docs/**/*.md"),
        *root.glob("notebooks/*/*.md"),
        *root.glob("notebooks/*.ipynb"),
        *root.glob("notebooks/*/*.ipynb"),
    ]
    return sorted(found)


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_links_point_at_something_that_exists(path: Path) -> None:
    assert link_problems(path) == []


def test_the_contributing_guide_and_notebooks_are_checked() -> None:
    checked = {str(p.relative_to(ROOT)) for p in documents()}
    assert {
        "CONTRIBUTING.md",
        "notebooks/00_start_here.ipynb",
        "notebooks/es/00_start_here.ipynb",
        "notebooks/es/GLOSARIO.md",
    } <= checked


def test_broken_links_are_reported_and_good_ones_pass(tmp_path: Path) -> None:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01_lab.ipynb").write_text(
        json.dumps({"cells": [{"cell_type": "markdown", "source": ["## 2. The lab\n"]}]}), encoding="utf-8"
    )
    (tmp_path / "README.md").write_text(
        "# Title\n\n## Getting started\n\n"
        "[ok file](notebooks/01_lab.ipynb) [ok folder](notebooks/) [ok anchor](#getting-started) "
        "[ok heading in a notebook](notebooks/01_lab.ipynb#2.-The-lab) [ok web](https://cloud.google.com/vertex-ai) "
        "<https://example.org/a?b=1> [ok mail](mailto:team@example.org) `[in code](missing.md)`\n\n"
        "```\n[in a code block](missing.md)\n```\n\n"
        "[missing](notebooks/02_missing.ipynb) [bad anchor](#nowhere) [outside](../elsewhere/REFERENCE.md) "
        "[no dot](http://localhostx) [typo](https//example.org) [bad heading](notebooks/01_lab.ipynb#3-nothing) "
        '<a href="/etc/passwd">absolute</a> [machine](file:///tmp/x.md)\n\n'
        "[ref]: docs/missing.md\n",
        encoding="utf-8",
    )
    problems = link_problems(tmp_path / "README.md", root=tmp_path)
    broken = [problem.split(": ")[1] for problem in problems]
    assert broken == [
        "'notebooks/02_missing.ipynb'",
        "'#nowhere'",
        "'../elsewhere/REFERENCE.md'",
        "'http://localhostx'",
        "'https//example.org'",
        "'notebooks/01_lab.ipynb#3-nothing'",
        "'/etc/passwd'",
        "'file:///tmp/x.md'",
        "'docs/missing.md'",
    ], problems
