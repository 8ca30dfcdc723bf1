from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    label = "providers"
    default_auto_field = "django.db.models.BigAutoField"
