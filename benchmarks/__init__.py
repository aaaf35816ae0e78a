"""What a code costs: the real bot, as a process, against a fake Bot API server.

`python -m benchmarks` runs the bare python-telegram-bot floor and teamotp through the
same load and prints Markdown tables (see BENCHMARKS.md)."""
