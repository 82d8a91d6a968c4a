"""Districts (tenants), users, memberships, API tokens and the principal behind a request."""
