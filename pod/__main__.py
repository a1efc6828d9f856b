"""`python -m pod` runs the command line."""

from pod.cli import main

raise SystemExit(main())
