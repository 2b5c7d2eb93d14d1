"""Documents the tracker writes for people to take away: the briefing as PDF (pdf.py) and as a Word
file (docx.py). The CSV exports are still written by the views (tracker/views/) from selectors'
rows."""
