"""Who is asking: credentials from Solid-OIDC access tokens and DPoP proofs."""
