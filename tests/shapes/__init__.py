"""Tests of SHACL validation on write (issue 11): constrained containers, shipped shapes, Control."""
