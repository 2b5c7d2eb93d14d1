"""French formats: Django's own, plus what the tracker adds. Django reads this module first and
falls back to its fr module for everything not named here."""

# Table cells and short mentions: "30 juin 2022", "1 juil. 2022" (N: the French short month names).
SHORT_DATE_FORMAT = "j N Y"
# A percentage: a no-break space before the sign, as French typography wants ("12,5 %").
PERCENT_FORMAT = "{}\u00a0%"
