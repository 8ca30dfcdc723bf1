from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BookingConfig(AppConfig):
    name = "booking"
    label = "booking"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from booking.bootstrap import create_event_store_tables

        post_migrate.connect(create_event_store_tables, sender=self)
