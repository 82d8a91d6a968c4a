"""Background work: the transactional outbox, its relay, and job bookkeeping."""
