"""Rules of the gateway: no Flask, no SQLAlchemy, no requests."""
