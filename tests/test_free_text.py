"""Free text can never break the code (issue 16).

Every free-text answer is given the same nasty string at once, in one render: a fixed set
(quotes, backslashes, Unicode, long words, Jinja-looking text, YAML and Markdown specials, the
lengths where the OpenAPI description changes layout) and strings hypothesis generates from a
fixed seed. Each render must compile, pass `ruff check` and `ruff format --check`, keep every
answer verbatim where it lands in code (pyproject.toml, the OpenAPI description, the package
docstring), parse as YAML, and keep its Markdown within 120 characters a line, with the
block structure (headings, fences, lists, tables, HTML) of a render with plain answers.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import QUESTIONS, answers, render
from tests.test_vocabulary import _long_prose_lines

# The answers no rule keeps to a shape: each gets the string under test.
FREE_TEXT = [
    "project_description",
    "business_value",
    "author_name",
    "team_members",
    "main_use_cases",
    "data_flow",
    "security_risks",
]
# The other text answers, held to a strict shape by their validators: given valid but awkward values.
SHAPED = {
    "project_name": "Order Desk 2.0_beta",
    "project_slug": "order-desk",
    "package_name": "order_desk",
    "author_email": "o'brien+ops@mail.example.co.uk",
    "requirements_url": "https://docs.example.com/wiki/Order_(desk)?id=1&v=%22x%22#top'",
    "repository_url": "https://git.example.com/team/order-desk;v=1,2?a=b&c=d*e!",
}
FIXED_ANSWERS = {"requirements_document": "stale", **SHAPED}

NASTY = [
    'ends with a quote"',
    "ends with a backslash \\",
    'triple """ quotes """ and \'\'\' inside',
    "\\N{EM DASH} \\x41 \\u00e9 \\ \\' \\\" \\n (escapes, as typed)",
    "the team’s “service” – naïve café, Ελληνικά, 日本語, עברית \u202eRTL\u202c",  # noqa: RUF001
    "e\u0301 combining, 😀 \U0001f469\u200d\U0001f4bb joined, \ufeff BOM, \u00a0 no-break space",
    "{{ project_name }} {% raw %}{% endraw %} {# comment #} {%- if x %}{% endif %} ${{ github.sha }}",
    "key: value # comment - item *anchor &ref !tag 'single' \"double\" @at `tick` %percent | > [a] {b}",
    "% leading percent",
    "- a list? # a heading? > a quote? --- === ``` ~~~ <!-- <div> | a | b | [x]: /y 1. one 2) two",
    "w" * 200,
    " ".join(["word"] * 60) + " " + "x" * 150,
    "\\" * 199 + '"',
    " padded   with   spaces  ",
    "0x1F; True; null; ~; 1e3",
    # One past where the OpenAPI description no longer fits its line (FastAPI 88, Django 92),
    # then no longer fits alone in parentheses (97, 101): the layouts ruff format would change.
    *["y" * (n - 1) + "." for n in (88, 92, 97, 101)],
]

# Any character but the ones the validators refuse (control characters, U+2028/U+2029) and
# lone surrogates, which no answer can hold.
GENERATED = st.text(
    st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="\u2028\u2029"), max_size=300
)
GENERATED_EXAMPLES = 12

_baselines: dict[str, dict[str, list[str]]] = {}

# A line that opens a Markdown block other than a paragraph (an autolink, `<name@host>`, opens none).
_BLOCK = re.compile(
    r"^ {0,3}(#|```|~~~|<(?![^<> ]*[@:][^<> ]*>)|>|\||[-*+] |\d+[.)] |(-{3,}|={3,}|\*{3,}|_{3,})\s*$)"
)


def _answers_for(text: str) -> dict[str, str]:
    """`text` for every free-text question, fitted to the rules a validator sets (length, owner)."""
    owner = re.sub("[,<>]", "", text)
    return {
        **{question: text for question in FREE_TEXT},
        "project_description": text[:200],
        "business_value": text if text.strip() else "To be written.",
        "author_name": owner if owner.strip() else "Backend Team",
    }


def _markdown(project: Path) -> list[Path]:
    docs = [project / "README.md", project / "CONTRIBUTING.md", *sorted((project / "docs").rglob("*.md"))]
    return [doc for doc in docs if doc.name != "architecture-review.md"]


def _skeleton(project: Path) -> dict[str, list[str]]:
    """Per Markdown file, the lines that open a block, outside code fences and with text removed."""
    skeletons = {}
    for doc in _markdown(project):
        lines, fenced = [], False
        for line in doc.read_text().splitlines():
            if line.startswith("```"):
                fenced = not fenced
                lines.append(line)
            elif not fenced and (match := _BLOCK.match(line)):
                lines.append(match.group())
        skeletons[str(doc.relative_to(project))] = lines
    return skeletons


def _baseline(framework: str) -> dict[str, list[str]]:
    if framework not in _baselines:
        with tempfile.TemporaryDirectory(prefix="ft-baseline-") as root:
            data = {"framework": framework, **FIXED_ANSWERS, **_answers_for("Plain words.")}
            _baselines[framework] = _skeleton(render(Path(root) / "project", data))
    return _baselines[framework]


def _ruff(project: Path, *args: str) -> None:
    # The template's ruff, with the render's configuration (found from its pyproject.toml).
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--no-cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"ruff {' '.join(args)}:\n{result.stdout}{result.stderr}"


def _openapi_description(project: Path, framework: str) -> Any:
    package = project / "src" / "order_desk"
    module = ast.parse((package / ("main.py" if framework == "fastapi" else "api.py")).read_text())
    values = [
        keyword.value
        for node in ast.walk(module)
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg == "description" and isinstance(keyword.value, ast.Constant)
    ]
    assert len(values) == 1, "one literal OpenAPI description"
    return values[0].value


def check_render(text: str, framework: str) -> None:
    """Render with `text` in every free-text answer and check every file type it lands in."""
    given_answers = {"framework": framework, **FIXED_ANSWERS, **_answers_for(text)}
    with tempfile.TemporaryDirectory(prefix="ft-render-") as root:
        project = render(Path(root) / "project", given_answers)

        for path in project.rglob("*.py"):
            compile(path.read_text(), str(path), "exec")
        _ruff(project, "check")
        _ruff(project, "format", "--check")

        # Code keeps each answer verbatim.
        metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
        assert metadata["description"] == given_answers["project_description"]
        assert metadata["authors"] == [
            {"name": given_answers["author_name"], "email": given_answers["author_email"]}
        ]
        assert metadata["urls"] == {"Repository": given_answers["repository_url"]}
        assert _openapi_description(project, framework) == given_answers["project_description"]
        docstring = ast.get_docstring(ast.parse((project / "src/order_desk/__init__.py").read_text()))
        expected = f"{given_answers['project_name']}: {given_answers['project_description']}"
        # Wrapping breaks lines at spaces, or inside a word longer than a line.
        assert "".join((docstring or "").split()) == "".join(expected.split())

        recorded = answers(project)
        assert {question: recorded[question] for question in given_answers} == given_answers
        for path in [*project.rglob("*.yml"), *project.rglob("*.yaml")]:
            list(yaml.safe_load_all(path.read_text()))

        docs = _markdown(project)
        long = {doc.name: lines for doc in docs if (lines := _long_prose_lines(doc.read_text()))}
        assert not long, "lines over 120 characters"
        assert _skeleton(project) == _baseline(framework), "an answer changed the Markdown structure"


def test_every_text_question_is_free_text_or_shaped() -> None:
    """A new text question must be added here, so its answer gets the nasty strings too."""
    text_questions = {
        name for name, spec in QUESTIONS.items() if spec["type"] == "str" and "choices" not in spec
    }
    assert text_questions == set(FREE_TEXT) | set(SHAPED)


@pytest.mark.parametrize(
    ("index", "text"), list(enumerate(NASTY)), ids=[f"nasty-{i}" for i in range(len(NASTY))]
)
def test_a_nasty_answer_breaks_nothing(index: int, text: str) -> None:
    # The description's layout boundaries are per framework; the others alternate.
    if text.startswith("yyy"):
        framework = "fastapi" if len(text) in (88, 97) else "django"
    else:
        framework = ("fastapi", "django")[index % 2]
    check_render(text, framework)


@pytest.mark.parametrize("framework", ["fastapi", "django"])
@settings(
    max_examples=GENERATED_EXAMPLES // 2,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(text=GENERATED)
def test_a_generated_answer_breaks_nothing(framework: str, text: str) -> None:
    check_render(text, framework)
