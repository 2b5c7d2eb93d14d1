"""Reads: one module per page or report, each function taking the day it is about (None: today),
each page's reads in a fixed number of SQL statements whatever the data size.

    common.py           rows as the lists show them
    commitment_list.py  the filtered list and its facet counts
    export.py           the list as rows of a file to take away (CSV, XLSX), and the file's name
    overview.py         the overview's cards, needs-attention and latest updates
    commitment.py       one commitment's page
    agencies.py         the agency scorecards
    themes.py           one objective's page
    changes.py          what changed between two days
    assessments.py      which assessment counts, and the rounds held
    scorecard.py        a dialogue's commitments × parties at a round, with averages
    dialogues.py        the dialogues' index and one dialogue's own overview
"""

from .agencies import agency_scorecard, agency_scorecards
from .assessments import latest_assessments, rounds_held
from .changes import CHANGES_CSV_COLUMNS, Changes, change_csv_rows
from .commitment import CommitmentPage, commitment_trail, reader_state
from .commitment_list import CommitmentBrowser, filter_choices
from .dialogues import DialoguePage, dialogue_index
from .export import EXPORT_COLUMNS, CommitmentExport, export_rows
from .overview import Overview
from .scorecard import Scorecard
from .themes import theme_summary

__all__ = [
    "CHANGES_CSV_COLUMNS",
    "Changes",
    "change_csv_rows",
    "filter_choices",
    "CommitmentBrowser",
    "CommitmentExport",
    "CommitmentPage",
    "EXPORT_COLUMNS",
    "Overview",
    "DialoguePage",
    "Scorecard",
    "dialogue_index",
    "agency_scorecard",
    "agency_scorecards",
    "commitment_trail",
    "reader_state",
    "latest_assessments",
    "rounds_held",
    "export_rows",
    "theme_summary",
]
