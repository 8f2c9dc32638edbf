"""Peer engines for the side-by-side benchmark: Great Expectations (in-process) and Deequ (own process)."""
