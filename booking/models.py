"""The only ORM tables on the write side: API keys are credentials, not domain events."""

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
