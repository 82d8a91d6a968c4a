"""What the tests share: factories, GraphQL helpers and each area's set-up, in one package.

Test modules import from here, never from one another.
"""
