"""Rosters: HR extracts, learning-system exports and trainee lists turned into indicator values.

A roster file is read by DuckDB straight from disk (``engine``), through a saved mapping
(``spec``) that says which column is which field and how the source spells its values; only the
aggregates reach the database, as draft values of a round, and the file is deleted after the run.
"""
