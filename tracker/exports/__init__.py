"""Documents the tracker writes for people to take away: the briefing as PDF (pdf.py) and as a Word
file (docx.py), and one dialogue as the data file load_dialogue reads (dialogue_file.py, for
`manage.py export_dialogue`). The CSV exports are still written by the views (tracker/views/) from
selectors' rows."""
