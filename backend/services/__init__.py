"""Domain services: plain functions that never touch ``request``; callers commit."""
