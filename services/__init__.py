"""Use cases: each takes a unit of work and an explicit actor, and returns plain results."""
