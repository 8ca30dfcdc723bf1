"""The write side's few ORM tables: credentials and configuration, not domain events."""

from django.db import models


class ApiKey(models.Model):
    organisation_slug = models.CharField(max_length=64)
    organisation_id = models.UUIDField()
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64, unique=True)  # sha256 of the whole key; the key is never stored
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "slotwise_api_key"


class PersistedQuery(models.Model):
    """A GraphQL document on the allow-list (`manage.py graphql_register`), by its sha256."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    document = models.TextField()
    operation_names = models.CharField(max_length=500, default="")
    source = models.CharField(max_length=300, default="")  # the file it was registered from
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "slotwise_graphql_persisted_query"
