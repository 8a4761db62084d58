"""analytics_spark: PySpark jobs over the stored meetings."""
