"""The briefing as a Word file (python-docx): real headings and tables, summary first."""


def briefing_docx(context: dict) -> bytes:
    raise NotImplementedError
