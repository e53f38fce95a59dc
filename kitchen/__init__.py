"""kitchen: self-service DataOps kitchens."""

__version__ = "0.1.0"
