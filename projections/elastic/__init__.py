"""The Elasticsearch store: the same views as documents, written with external versions."""
