"""SQL storage: column types, models, engines and migrations."""
