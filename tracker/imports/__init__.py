"""Readers that produce a plan services apply: each reads what staff bring (a spreadsheet, a data
file, the text of an announcement), checks every record before anything is written, and writes
through the services, so every path keeps the same rules and the same history.

- spreadsheets: CSV and XLSX in and out of the admin (django-import-export resources)
- announcements: the text of a pasted or uploaded .txt, .html, .pdf or .docx
"""
