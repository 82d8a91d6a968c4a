"""District PPM: Process and Performance Management for school districts."""
