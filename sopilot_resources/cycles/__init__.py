"""Shift recordings: many cycles of the task in one video (docs/scoring.md, "Shift recordings")."""
