"""Tests of the OpenID provider (pod.idp.oidc)."""
