"""dataward: guard rails for a lab's DVC data."""

__version__ = "0.1.0"
