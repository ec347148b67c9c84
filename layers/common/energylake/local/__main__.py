from energylake.local.cli import main

raise SystemExit(main())
