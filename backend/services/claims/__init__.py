"""Closing a project and its subsidy claim: the frozen snapshot, its review, what qualifies."""
