"""Bytes to values, pure: DVC files and config, cards, YAML, globs, URLs. No I/O here."""
