"""The database centre: settings, the local cluster, the driver, migrations, SQL functions,
ingest and the billing rules."""
