"""The HTTP edge: requests become operations, results become responses."""
