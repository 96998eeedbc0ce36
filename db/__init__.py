"""Storage: SQLAlchemy models, the engine, repositories and the unit of work."""
