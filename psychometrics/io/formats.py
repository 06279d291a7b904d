"""The output formats, by extension (no imports: the CLI's parser reads these while building
``--help``, which must not load pandas)."""

#: Formats of a table (scores, classifications, lists).
TABLE_FORMATS = (".csv", ".xlsx", ".sav", ".json", ".html")
