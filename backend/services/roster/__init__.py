"""Roster (附件2) import: parse an uploaded sheet, validate every row, then create trainees."""
