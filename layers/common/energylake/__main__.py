from energylake.cli import main

raise SystemExit(main())
