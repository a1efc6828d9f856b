"""The identity provider: accounts, sessions, pods, account API and pages; oidc/ is the OpenID provider."""
