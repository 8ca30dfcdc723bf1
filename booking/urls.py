from django.urls import path

from booking.health import healthz, readyz
from booking.rest.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("healthz", healthz),
    path("readyz", readyz),
]
