"""Benchmarks (run through the Makefile; see README)."""
