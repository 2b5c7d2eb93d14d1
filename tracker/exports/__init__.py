"""Documents the tracker writes for people to take away: the briefing as PDF (pdf.py) and as a Word
file (docx.py), the commitment list as a spreadsheet (xlsx.py), and one dialogue as the data file
load_dialogue reads (dialogue_file.py, for `manage.py export_dialogue`). The list's rows and columns
come from selectors/export.py (EXPORT_COLUMNS, one list for the CSV and the XLSX); the CSVs
themselves are still written by the views (tracker/views/, `csv_response`)."""
