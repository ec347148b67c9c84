"""What every room agrees on: the dataset catalog and warehouse table names (:mod:`.datasets`), ERCOT's weather
zones and their points (:mod:`.zones`), a raw reply (:mod:`.raw`), the silver and gold table contracts in plain Python
(:mod:`.tables`: columns, type names, keys; no pyarrow) and their pyarrow view (:mod:`.schemas`, the only one that
imports pyarrow)."""
