"""Drift: which datasets one environment holds and at which version. Hashing as DVC does
(hashing), its cache (state_cache), the scan (scan) and its commands (cli)."""
