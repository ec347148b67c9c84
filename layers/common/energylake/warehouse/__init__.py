"""The warehouse: one model (:mod:`.model`: tables, keys, Redshift physical design, migrations, views, described once)
driving two dialects.

* :mod:`.duckdb`: the embedded default. ``load(window, lake, warehouse_path)`` reads the window's silver/gold Parquet
  and upserts it; ``query(warehouse_path, sql)`` for readers.
* :mod:`.redshift`: SQL generation for Redshift (:mod:`.redshift.sql`) and the load that runs it through the Redshift
  Data API (:mod:`.redshift.load`, LoadRedshiftFunction's work).

Submodules are imported explicitly by their users: importing this package loads neither pyarrow nor duckdb, and the
model and the Redshift modules never load pyarrow at all (the loader's Lambda ships without it).
"""
