"""What the tests stand on: real git repositories, DVC remotes on moto's S3 server, the local
GitHub checked against GitHub's OpenAPI description, the act runner, headless Chromium."""
