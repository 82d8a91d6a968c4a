"""Background work: Dramatiq actors, the outbox relay and the scheduler.

Actors are thin: they take ids, open their own tenant-scoped unit of work and call
district_ppm services, which tests await directly.
"""
