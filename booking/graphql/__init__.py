"""GraphQL API (graphene): reads from the views, writes through the same commands as REST."""
