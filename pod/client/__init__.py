"""A Solid client for scripts and the `pod fetch` command: DPoP-bound tokens from client credentials."""
