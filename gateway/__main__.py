"""`python -m gateway` is the `pishkhan` command."""

from gateway.cli import main

raise SystemExit(main())
