"""The warehouse port: schemas, tables and in-warehouse copies for one release environment.

Each engine's config class (kitchen.config) builds its adapter: ``settings.connect(...)``."""
