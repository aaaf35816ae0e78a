from teamotp.cli import main

raise SystemExit(main())
