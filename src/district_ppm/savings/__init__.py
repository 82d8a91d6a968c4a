"""The savings ledger: entries, validation, reversals, roll-ups, claim checks, reinvestment."""
