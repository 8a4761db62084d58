"""Database plumbing: engine and sessions (`vori.db.engine`), migrations (`vori.db.migrate`),
the schema (`vori.db.tables`)."""
