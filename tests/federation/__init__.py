"""Issue 12: two full pod servers that link, share and notify each other."""
