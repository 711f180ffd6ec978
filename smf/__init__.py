"""The `smf` command line."""
