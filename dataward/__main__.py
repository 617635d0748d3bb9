from dataward.cli import main

raise SystemExit(main())
