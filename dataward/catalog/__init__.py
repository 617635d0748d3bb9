"""The catalog: every dataset of the registry and its versions, from git history alone
(build), as Croissant records (croissant), as one page (page), and its commands (cli)."""
