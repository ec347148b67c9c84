"""The Redshift warehouse, reached through AWS's Redshift Data API (no database driver, no network path to the
warehouse): :mod:`.sql` writes every statement from the warehouse model (the migration batch with the views, one load
batch per table and chunk of days, the COPY manifest); :mod:`.data_api` runs statements and batches (one batch = one
transaction) with polling, retries and deadlines; :mod:`.load` is the loader (LoadRedshiftFunction's work);
:mod:`.setup` is the administrator's first-run setup (schema, database roles, grants)."""
