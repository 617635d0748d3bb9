"""Drift: which datasets one environment holds and at which version. Hashing as DVC does
(hashing; many files at once: hasher), its cache (state_cache), the judgement (judge), the
scan (scan) and its commands (cli)."""
