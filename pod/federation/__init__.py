"""Pods on different servers working together: the two-server demonstration of issue 12."""
