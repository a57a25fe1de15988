"""Built-in behaviour, registered as default plugins on the same hooks plugins use."""
