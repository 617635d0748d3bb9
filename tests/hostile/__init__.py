"""Hostile inputs and faults, one file per class (issue 18).

Every entry point is held to the same rules (test_entry_points.py).
"""
