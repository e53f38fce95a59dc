"""The Apache Spark engine, through Spark Connect: its adapter and its dialect."""

from kitchen.backends.warehouse.spark.adapter import SparkWarehouse

__all__ = ["SparkWarehouse"]
