"""Documents the tracker writes for people to take away: the briefing as PDF (pdf.py) and as a Word
file (docx.py), and the commitment list as a spreadsheet (xlsx.py). The list's rows and columns come
from selectors/export.py (EXPORT_COLUMNS, one list for the CSV and the XLSX); the CSVs themselves are
still written by the views (tracker/views/, `csv_response`)."""
