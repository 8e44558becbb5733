"""`python -m tooling <command>`: see tooling.cli."""

import sys

from tooling.cli import close_event_loop, main

status = main()
close_event_loop()
sys.exit(status)
