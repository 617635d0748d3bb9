"""GitHub: what Actions puts in the environment (env), and the API client (client)."""
