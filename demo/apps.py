from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Sample data and reference loading: the top of the app graph, so it may import every other app and none
    imports it. No models: it writes through the other apps' services."""

    name = "demo"
