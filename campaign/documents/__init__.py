"""Documents: a context built from the store, then a template, then a format."""
