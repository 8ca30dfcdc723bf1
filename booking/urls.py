from django.urls import path

from booking.graphql.view import GraphQLView
from booking.health import healthz, readyz
from booking.observability.metrics import metrics
from booking.rest.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("healthz", healthz),
    path("readyz", readyz),
    path("graphql", GraphQLView.as_view()),
    path("metrics", metrics),
]
