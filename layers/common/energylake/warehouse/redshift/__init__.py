"""The Redshift warehouse: :mod:`.sql` writes every statement from the warehouse model (migrations, views, one load
transaction per table); :mod:`.load` runs them over a connection (``redshift_connector`` with IAM auth)."""
