"""Ports (protocols) and their adapters. Drivers are imported only when an adapter connects."""
