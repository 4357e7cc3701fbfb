"""Courses, lessons and their media: the content a training is made of (授课)."""
