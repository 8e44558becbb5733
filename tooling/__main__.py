"""`python -m tooling <command>`: see tooling.cli."""

from tooling.cli import main
from tooling.process_exit import close_event_loop, exit_now

status = main()
close_event_loop()
exit_now(status)
