"""Schools and their enrollment per school year."""
