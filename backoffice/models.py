"""The project frame has no tables; this module exists so post_migrate reaches its AppConfig."""
