"""The public contract in marshmallow: one module per resource, written by hand."""
