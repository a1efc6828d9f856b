"""Bytes and metadata of resources; nothing about HTTP, RDF or access control."""
