"""LDP and Solid Protocol semantics on resource identifiers; no HTTP objects in here."""
