"""The `vori` command line."""
