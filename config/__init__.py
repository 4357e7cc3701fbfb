"""Settings and policies: defaults in classes, overridden by environment variables."""
