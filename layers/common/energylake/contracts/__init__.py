"""What every room agrees on: the dataset catalog and warehouse table names (:mod:`.datasets`), ERCOT's weather
zones and their points (:mod:`.zones`), a raw reply (:mod:`.raw`), and the silver and gold table schemas
(:mod:`.schemas`, the only one that imports pyarrow)."""
