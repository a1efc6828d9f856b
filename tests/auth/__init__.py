"""Solid-OIDC authentication tests: a real test identity provider, tokens minted with joserfc."""
