"""GraphQL types, queries and mutations of the management system, one module per topic."""
