"""SHACL validation on write: containers constrained by shapes documents (`ldp:constrainedBy`)."""
