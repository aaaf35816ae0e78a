"""``python -m tests.fake_telegram``: the hand-driven playground (see ``playground.py``)."""

from .playground import main

raise SystemExit(main())
