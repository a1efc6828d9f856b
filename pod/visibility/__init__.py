"""The pod owner's visibility and control (issue 13): access log, access overview, app control."""
