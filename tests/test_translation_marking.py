"""Every string a person reads is marked for translation (issue 15).

Templates: each template is cut into tokens by Django's own Lexer; the text between tags must have no
words left once markup, comments and machine-only attribute values are stripped. The values people do
read (alt, title, aria-label, placeholder...) stay in scope. Python: the literal strings passed to
messages and to verbose_name/label/help_text must go through gettext.
"""

import ast
import re
from pathlib import Path

from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "templates", *sorted((ROOT / "tracker").glob("templates"))]

# Attributes whose values people read (shown as tooltips, announced by screen readers, shown in fields).
READ_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder", "aria-description", "value", "content"}
# <input value> and <meta content> are read only for some types; they are checked below with that in mind.
ATTRIBUTE = re.compile(r"""([\w:@.-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>"']+)""")
TAG = re.compile(r"<[^>]*>|<[^>]*$|^[^<]*>", re.S)
COMMENT = re.compile(r"<!--.*?-->", re.S)
# Scripts and styles are code; <code>/<kbd> hold commands and identifiers typed as they are.
SCRIPT_OR_STYLE = re.compile(r"<(script|style|code|kbd)\b[^>]*>.*?</\1>", re.S | re.I)
ENTITY = re.compile(r"&[#\w]+;")
WORD = re.compile(r"[A-Za-zÀ-ÿ]{2,}")

# Text that reads the same in both languages, each for a reason:
ALLOWLIST = {
    "NASA",  # an agency's name
    "CNES",  # an agency's name
    "JSON",  # a file format's name
    "CSV",  # a file format's name
    "XLSX",  # a file format's name
    "DOCX",  # a file format's name
    "PDF",  # a file format's name
    "iCalendar",  # a standard's name
    "API",  # the same word in French
    "URL",  # the same word in French
    "OpenAPI",  # a standard's name
    "Swagger",  # a tool's name
    "UI",  # part of "Swagger UI", a tool's name
    "ReDoc",  # a tool's name
    "htmx",  # a library's name
}


def template_files():
    for folder in TEMPLATE_DIRS:
        for path in sorted(folder.rglob("*")):
            if path.suffix in {".html", ".txt"} and path.is_file():
                yield path


def read_attribute_text(tag):
    """The values people read in one HTML tag (only for input values shown as buttons)."""
    texts = []
    for name, value in ATTRIBUTE.findall(tag):
        name = name.lower()
        if name not in READ_ATTRIBUTES:
            continue
        if name == "value" and not re.search(r"type\s*=\s*[\"']?(submit|button|reset)", tag, re.I):
            continue
        if name == "content" and not re.search(r"name\s*=\s*[\"']?description", tag, re.I):
            continue
        texts.append(value.strip("\"'"))
    return texts


def words_people_read(text, is_plain_text):
    """The words left in a TEXT token once markup and machine-only values are taken out."""
    if not is_plain_text:
        text = SCRIPT_OR_STYLE.sub(" ", COMMENT.sub(" ", text))
        read = []
        for tag in TAG.findall(text):
            read.extend(read_attribute_text(tag))
        text = " ".join([TAG.sub(" ", text), *read])
    text = ENTITY.sub(" ", text)
    return [word for word in WORD.findall(text) if word not in ALLOWLIST]


def text_outside_translation_tags(source):
    """The template's TEXT tokens glued back together, with every template tag, variable and
    {% blocktranslate %} body replaced by a space (so HTML tags split by {% if %} still parse), and
    {% comment %}/{% verbatim %} bodies left out."""
    pieces = []
    inside_blocktranslate = False
    inside_comment = 0
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0]
            if name in {"blocktranslate", "blocktrans"}:
                inside_blocktranslate = True
            elif name in {"endblocktranslate", "endblocktrans"}:
                inside_blocktranslate = False
            elif name in {"comment", "verbatim"} or token.contents == "block bodyclass":
                # The admin's bodyclass block holds CSS class names, never read.
                inside_comment += 1
            elif name in {"endcomment", "endverbatim"} or (name == "endblock" and inside_comment):
                inside_comment -= 1
            pieces.append(" ")
        elif token.token_type == TokenType.TEXT and not inside_comment:
            pieces.append(" " if inside_blocktranslate else token.contents)
        else:
            pieces.append(" ")
    return "".join(pieces)


def unmarked_words(path):
    source = path.read_text(encoding="utf-8")
    return words_people_read(text_outside_translation_tags(source), is_plain_text=path.suffix == ".txt")


# A string literal inside a template tag ({% include ... with caption="..." %}, a filter's argument)
# that reads as words: it must be written _("...") to be translated.
TAG_LITERAL = re.compile(r"""(_\(\s*)?("[^"]*"|'[^']*')""")


def unmarked_tag_literals(path):
    found = []
    for token in Lexer(path.read_text(encoding="utf-8")).tokenize():
        if token.token_type not in (TokenType.BLOCK, TokenType.VAR):
            continue
        if token.contents.split()[0] in {"translate", "trans", "blocktranslate", "blocktrans"}:
            continue
        for marked, literal in TAG_LITERAL.findall(token.contents):
            text = literal[1:-1]
            if not marked and " " in text and re.search(r"[a-z]{2,}", text) and "/" not in text:
                found.append(f"{path.relative_to(ROOT)}:{token.lineno}: {literal}")
    return found


def test_template_tags_mark_the_strings_they_pass_on():
    problems = [problem for path in template_files() for problem in unmarked_tag_literals(path)]
    assert not problems, "String literals in template tags not wrapped in _():\n" + "\n".join(problems)


def test_every_template_marks_the_text_people_read():
    problems = []
    for path in template_files():
        words = unmarked_words(path)
        if words:
            problems.append(f"{path.relative_to(ROOT)}: {' '.join(sorted(set(words)))}")
    assert not problems, "Text outside {% translate %}/{% blocktranslate %}:\n" + "\n".join(problems)


# Python: keyword arguments and calls whose string is shown to people.
READ_KEYWORDS = {
    "verbose_name",
    "verbose_name_plural",
    "label",
    "help_text",
    "empty_label",
    "short_description",
}
MESSAGE_CALLS = {"success", "error", "info", "warning", "debug", "add_message"}


def python_files():
    for path in sorted((ROOT / "tracker").rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def is_plain_string(node):
    """A literal string (or f-string) people would read, not wrapped in a gettext call."""
    if isinstance(node, ast.JoinedStr):
        return True
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.search(r"[A-Za-z]{2,}", node.value)
    )


def unmarked_python_strings(path):
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg in READ_KEYWORDS and is_plain_string(keyword.value):
                found.append(f"{path.relative_to(ROOT)}:{keyword.value.lineno}: {keyword.arg}=")
        function = node.func
        # A model or form field's verbose name/label given first: models.TextField("what happened").
        if (
            isinstance(function, ast.Attribute)
            and function.attr.endswith("Field")
            and function.attr not in {"ManyToManyField"}  # its first argument is the related model
            and node.args
            and is_plain_string(node.args[0])
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {function.attr}(...) verbose name")
        if (
            isinstance(function, ast.Attribute)
            and isinstance(function.value, ast.Name)
            and function.value.id == "messages"
            and function.attr in MESSAGE_CALLS
            and len(node.args) >= 2
            and is_plain_string(node.args[-1])
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: messages.{function.attr}")
    return found


def unmarked_choice_labels(path):
    """TextChoices/IntegerChoices members: `NAME = "value", "Label"` must wrap the label."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {getattr(base, "attr", getattr(base, "id", "")) for base in node.bases}
        if not bases & {"TextChoices", "IntegerChoices", "Choices"}:
            continue
        for statement in node.body:
            if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Tuple):
                label = statement.value.elts[-1]
                if is_plain_string(label):
                    found.append(f"{path.relative_to(ROOT)}:{statement.lineno}: {node.name} label")
    return found


def test_python_marks_labels_help_texts_and_messages():
    problems = [
        p for path in python_files() for p in unmarked_python_strings(path) + unmarked_choice_labels(path)
    ]
    assert not problems, "Strings shown to people but not wrapped in gettext:\n" + "\n".join(problems)
