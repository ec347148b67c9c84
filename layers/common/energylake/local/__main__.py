from energylake.local.entry import main

raise SystemExit(main())
