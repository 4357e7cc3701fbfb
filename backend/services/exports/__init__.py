"""Spreadsheet exports: the filing forms, the hours and subsidy sheet, the training records."""
