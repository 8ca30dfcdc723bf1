"""How events reach the views: straight from the log (embedded) or through Kafka."""

import os

SLOTWISE_EVENT_TRANSPORT = os.environ.get("SLOTWISE_EVENT_TRANSPORT", "log")  # log | kafka
SLOTWISE_READ_STORE = os.environ.get("SLOTWISE_READ_STORE", "sql")  # sql | elasticsearch
SLOTWISE_KAFKA_BOOTSTRAP = os.environ.get("SLOTWISE_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
SLOTWISE_KAFKA_TOPIC = os.environ.get("SLOTWISE_KAFKA_TOPIC", "slotwise.booking-events.v1")
SLOTWISE_KAFKA_PARTITIONS = int(os.environ.get("SLOTWISE_KAFKA_PARTITIONS", "6"))
SLOTWISE_ES_URL = os.environ.get("SLOTWISE_ES_URL", "http://127.0.0.1:9200")
SLOTWISE_ES_PREFIX = os.environ.get("SLOTWISE_ES_PREFIX", "slotwise")
SLOTWISE_ES_PLAIN_JSON = os.environ.get("SLOTWISE_ES_PLAIN_JSON", "") == "1"
