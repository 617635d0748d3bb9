"""The only code that touches the outside world: git, DVC and its remotes, GitHub, the state
cache on disk. Everything else gets values from here and returns values."""
