"""The GraphQL edge: schema assembly, context, permissions, errors, limits."""
