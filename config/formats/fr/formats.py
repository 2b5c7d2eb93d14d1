"""French formats: Django's own, plus what the tracker adds. Django reads this module first and
falls back to its fr module for everything not named here."""

# Table cells and short mentions: "30 juin 2022", "1 juil. 2022" (N: the French short month names).
SHORT_DATE_FORMAT = "j N Y"
# The same with the time: "30 juin 2022 à 14:05".
SHORT_DATETIME_FORMAT = "j N Y à H:i"
# When something was written, in a sentence: "30 juin 2022 à 14:05".
LONG_DATETIME_FORMAT = "j F Y à H:i"

# The tracker's own names (tracker/formatting.py, the |local_date filter): a chart's month under its
# bar, "juin", "juil." (never "Jui", which could be either); a month in a caption, "juil. 2022".
CHART_MONTH_FORMAT = "N"
SHORT_YEAR_MONTH_FORMAT = "N Y"
# A percentage: a no-break space before the sign, as French typography wants ("12,5 %").
PERCENT_FORMAT = "{}\u00a0%"
