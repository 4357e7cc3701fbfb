"""The audit log for people: browsing it, and every action and detail in words."""
